/**
 * Browser stand-in for `node-files.ts` (selected by package.json's `browser` field): there are
 * no local paths in a browser, so path strings are left to other resolvers and configs must be
 * URLs or objects.
 */
import { ConfigError } from '@titok/core';
import type { ModelSourceResolver } from './types.js';

export const FOLDER_WEIGHTS = ['model.safetensors', 'model.json', 'pytorch_model.bin'] as const;

export async function readJsonFile(p: string | URL): Promise<{ json: Record<string, unknown>; file: string }> {
  throw new ConfigError(`cannot read '${p.toString()}': file paths need Node; pass a URL or the parsed config`);
}

export async function folderWeights(dir: string): Promise<string> {
  throw new ConfigError(`cannot read the folder '${dir}': file paths need Node`);
}

export const nodePathResolver: ModelSourceResolver = {
  name: 'node-path',
  async resolve() {
    return undefined;
  },
};
