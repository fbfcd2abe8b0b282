import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError, FormatError } from '@titok/core';
import { readCheckpoint } from '@titok/io';
import { fileSource } from '@titok/io/node';
import { TiTok } from '@titok/tokenizer';
import type { CliIO } from './command.js';
import { downloadProgress } from './progress.js';

type Parts = 'all' | 'encoder' | 'decoder';
type FromPretrained = (source: string, options: Record<string, unknown>) => Promise<TiTok>;

const WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'];

/** A local folder (config.json + weights) or weights file with config.json beside it. */
async function loadLocal(source: string, parts: Parts): Promise<TiTok> {
  const st = await fsp.stat(source).catch(() => undefined);
  if (!st) throw new FormatError('no such file or folder', { file: source });
  const dir = st.isDirectory() ? source : path.dirname(source);
  const weights = st.isDirectory() ? WEIGHT_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f)) : source;
  if (!weights) throw new FormatError(`no weights in the folder (looked for ${WEIGHT_FILES.join(', ')})`, { file: source });
  const configFile = path.join(dir, 'config.json');
  let config: unknown;
  try {
    config = JSON.parse(await fsp.readFile(configFile, 'utf8'));
  } catch (e) {
    throw new ConfigError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no config.json beside the weights' : `not valid JSON: ${(e as Error).message}`, {
      file: configFile,
    });
  }
  const sd = await readCheckpoint(await fileSource(weights));
  try {
    return await TiTok.fromStateDict(config as Record<string, unknown>, sd, { parts });
  } finally {
    await sd.close();
  }
}

/**
 * Loads the tokenizer `source` names — anything `TiTok.fromPretrained` accepts (a model name,
 * a hub repo, a URL, a local folder or checkpoint) — with download progress on stderr.
 * Relative paths are taken from the command's working directory.
 */
export async function loadTokenizer(source: string, parts: Parts, io: CliIO): Promise<TiTok> {
  const local = path.resolve(io.cwd, source);
  const src = fs.existsSync(local) ? local : source;
  const fromPretrained = (TiTok as unknown as { fromPretrained?: FromPretrained }).fromPretrained;
  if (typeof fromPretrained === 'function') {
    return fromPretrained.call(TiTok, src, { parts, progress_callback: downloadProgress(io.stderr) });
  }
  return loadLocal(src, parts);
}
