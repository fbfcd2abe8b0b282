import * as fsp from 'node:fs/promises';
import * as nodePath from 'node:path';
import { InputError } from '@titok/core';
import type { StateDict } from '@titok/core';
import { writeTfjsWeights } from './tfjs-writer.js';
import type { TfjsWriteOptions } from './tfjs-writer.js';
import type { TfjsModelJson } from './manifest.js';

/** Options of {@link writeTfjsFolder}. */
export interface WriteFolderOptions extends TfjsWriteOptions {
  /** Replace a folder that is not empty (its old content is removed only after the new one is complete). */
  force?: boolean;
  /** Written as `config.json` beside model.json, so the folder loads with no extra argument. */
  configJson?: Record<string, unknown>;
  /** Paths (the input checkpoint, the config) that must not be inside the output folder. */
  protect?: string[];
}

/** Result of {@link writeTfjsFolder}. */
export interface WrittenFolder {
  dir: string;
  model: TfjsModelJson;
  /** File names written, model.json last. */
  files: string[];
  /** Bytes written in all. */
  bytes: number;
}

function inside(child: string, parent: string): boolean {
  const rel = nodePath.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !nodePath.isAbsolute(rel));
}

async function entries(dir: string): Promise<string[] | undefined> {
  try {
    const st = await fsp.stat(dir);
    if (!st.isDirectory()) throw new InputError(`${dir}: exists and is not a folder`, { file: dir });
    return await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Converts a state dict to a tfjs weights folder (model.json + 4 MB shards + config.json),
 * atomically: everything is written to a temporary folder beside `dir`, which is renamed into
 * place only when complete, so an interrupted conversion never leaves a half-written model.
 * A folder that is not empty is refused unless `force` is set.
 *
 * @throws InputError for an unusable output folder; the reader's errors for bad weights
 */
export async function writeTfjsFolder(sd: StateDict, dir: string, options: WriteFolderOptions = {}): Promise<WrittenFolder> {
  const out = nodePath.resolve(dir);
  for (const p of options.protect ?? []) {
    if (inside(nodePath.resolve(p), out)) throw new InputError(`${out}: the output folder holds the input ${p}; choose another folder`, { file: out });
  }
  const existing = await entries(out);
  if (existing && existing.length > 0 && !options.force) {
    throw new InputError(`${out}: the folder is not empty; pass --force (or force: true) to replace it`, { file: out });
  }
  const parent = nodePath.dirname(out);
  await fsp.mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const tmp = nodePath.join(parent, `.${nodePath.basename(out)}.tmp-${tag}`);
  await fsp.mkdir(tmp);
  const files: string[] = [];
  let bytes = 0;
  try {
    const sink = {
      async writeFile(name: string, data: Uint8Array) {
        await fsp.writeFile(nodePath.join(tmp, name), data);
        files.push(name);
        bytes += data.byteLength;
      },
    };
    if (options.configJson) await sink.writeFile('config.json', new TextEncoder().encode(`${JSON.stringify(options.configJson, null, 2)}\n`));
    const model = await writeTfjsWeights(sd, sink, { ...options, config: options.config ?? options.configJson });
    if (existing) {
      const old = nodePath.join(parent, `.${nodePath.basename(out)}.old-${tag}`);
      await fsp.rename(out, old);
      try {
        await fsp.rename(tmp, out);
      } catch (e) {
        await fsp.rename(old, out).catch(() => {});
        throw e;
      }
      await fsp.rm(old, { recursive: true, force: true });
    } else {
      await fsp.rename(tmp, out);
    }
    return { dir: out, model, files, bytes };
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}
