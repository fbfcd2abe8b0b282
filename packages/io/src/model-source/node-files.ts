/**
 * Node-only part of `openModelSource`: local folders and checkpoint files. Loaded with a
 * dynamic import under Node only; package.json's `browser` field swaps in
 * `node-files.browser.js`, so bundlers never pull `node:fs` into a browser build.
 */
import * as fsp from 'node:fs/promises';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, InputError } from '@titok/core';
import { fileSource } from '../source/node.js';
import type { ModelSourceInput, ModelSourceResolver, ResolvedModelFiles } from './types.js';

/** Weights files a folder may hold, in order of preference. */
export const FOLDER_WEIGHTS = ['model.safetensors', 'model.json', 'pytorch_model.bin'] as const;
const WEIGHTS_EXT = /\.(safetensors|bin|pt|pth|ckpt)$/i;
const NOT_WEIGHTS = /^(expected\.safetensors|optimizer\.(bin|pt)|scheduler\.(bin|pt)|training_args\.bin|group\d+-shard\d+of\d+\.bin)$/i;

function toPath(p: string | URL): string {
  return p instanceof URL ? fileURLToPath(p) : p.startsWith('file:') ? fileURLToPath(p) : p;
}

async function statOrUndefined(p: string) {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

/** Reads and parses a JSON object from a file. */
export async function readJsonFile(p: string | URL): Promise<{ json: Record<string, unknown>; file: string }> {
  const file = toPath(p);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a config.json' : (e as Error).message, { file, cause: e });
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON object');
    return { json: json as Record<string, unknown>, file };
  } catch (e) {
    throw new ConfigError(`not a valid JSON config (${(e as Error).message})`, { file });
  }
}

/** Picks the weights file of a folder. */
export async function folderWeights(dir: string): Promise<string> {
  for (const f of FOLDER_WEIGHTS) {
    if ((await statOrUndefined(nodePath.join(dir, f)))?.isFile()) return nodePath.join(dir, f);
  }
  const others = (await fsp.readdir(dir)).filter((f) => WEIGHTS_EXT.test(f) && !NOT_WEIGHTS.test(f) && !/\.(fp16|bf16)\.safetensors$/i.test(f)).sort();
  if (others.length === 1) return nodePath.join(dir, others[0]!);
  if (others.length === 0) {
    throw new InputError(`${dir}: no weights in this folder (expected ${FOLDER_WEIGHTS.join(', ')} or one .safetensors/.bin/.pt file)`, { file: dir });
  }
  throw new InputError(`${dir}: several weights files (${others.join(', ')}); name the one to use`, { file: dir });
}

async function openFile(file: string): Promise<ResolvedModelFiles> {
  const dir = nodePath.dirname(file);
  const out: ResolvedModelFiles = { weights: await fileSource(file), weightsFile: file };
  if (/\.json$/i.test(file)) out.openRelated = (p) => fileSource(nodePath.join(dir, p));
  return out;
}

/**
 * Resolves local paths (and `file:` URLs): a folder (config.json + model.safetensors,
 * model.json, pytorch_model.bin or a single checkpoint) or a checkpoint file. Paths that do not
 * exist are left to the next resolver.
 */
export const nodePathResolver: ModelSourceResolver = {
  name: 'node-path',
  async resolve(input: ModelSourceInput) {
    if (!(typeof input === 'string' || (input instanceof URL && input.protocol === 'file:'))) return undefined;
    if (typeof input === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(input) && !input.startsWith('file:')) return undefined;
    const p = nodePath.resolve(toPath(input));
    const st = await statOrUndefined(p);
    if (!st) return undefined;
    if (st.isDirectory()) {
      const files = await openFile(await folderWeights(p));
      const config = nodePath.join(p, 'config.json');
      if ((await statOrUndefined(config))?.isFile()) {
        try {
          const { json } = await readJsonFile(config);
          files.configJson = json;
          files.configFile = config;
        } catch (e) {
          await (files.weights as { close(): Promise<void> }).close();
          throw e;
        }
      }
      return files;
    }
    if (!st.isFile()) throw new InputError(`${p}: not a file or folder`, { file: p });
    return openFile(p);
  },
};
