import { ConfigError, NetworkError } from '@titok/core';
import type { Preset } from '@titok/core';
import { resolveCache } from '../cache/default-cache.js';
import type { CachedEntry, ModelCache } from '../cache/cache-types.js';
import type { ByteSource } from '../source/byte-source.js';
import { fetchIntoCache } from './download.js';
import { convertCachedToFloat16 } from './float16-cache.js';
import { hubFileUrl, requireHubName } from './hub-name.js';
import { hubSettings } from './hub-options.js';
import type { HubOptions, HubSettings } from './hub-options.js';
import { isMissingFile } from './http-errors.js';
import { emitProgress } from './progress.js';
import { CHECKPOINT_REPO, expectedFile } from './registry.js';
import type { KnownFile } from './registry.js';

/** Options of {@link openHubModel}. */
export interface HubModelOptions extends HubOptions {
  /** `fp16` (or `float16`): keep (and load) a float16 copy of the weights, converted once and cached beside them. */
  dtype?: 'fp32' | 'fp16' | 'float32' | 'float16';
  /** Known sizes / SHA-256 by file name, checked in addition to the server's headers. */
  expected?: Record<string, KnownFile>;
  /** Weights file to load instead of `model.safetensors`. */
  weightsFile?: string;
}

/** The files of a model from a hub (or a URL), ready to read. */
export interface ModelFiles {
  /** The name as given. */
  name: string;
  repo?: string;
  revision?: string;
  /** The released model's preset, when the name is one. */
  preset?: Preset;
  /** `config.json` parsed, when the model has one. */
  configJson?: Record<string, unknown>;
  /** Where config.json came from, for messages. */
  configFile?: string;
  /** Random access to the weights (a cached file in Node, a cached Blob in browsers). */
  weights: ByteSource;
  /** Name of the weights file (`model.safetensors`, a `.bin`, `model.fp16.safetensors`). */
  weightsFile: string;
  /** `safetensors` or `torch` (a `.bin`/`.pt` pickle checkpoint). */
  format: 'safetensors' | 'torch';
  /** The cache entries used. */
  entries: CachedEntry[];
  /** The cache they are in. */
  cache: ModelCache;
}

async function firstAvailable(s: HubSettings, tries: (() => Promise<CachedEntry>)[]): Promise<CachedEntry | undefined> {
  let first: unknown;
  for (const t of tries) {
    try {
      return await t();
    } catch (e) {
      if (!isMissingFile(e, s.offline)) throw e;
      first ??= e;
    }
  }
  if (first) throw first;
  return undefined;
}

/** Reads a cached JSON file. */
export async function readJsonEntry(entry: CachedEntry): Promise<Record<string, unknown>> {
  const src = await entry.open();
  try {
    const text = new TextDecoder().decode(await src.read(0, src.size));
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`${entry.meta.url}: not a valid JSON config (${(e as Error).message})`, { file: entry.meta.url });
  } finally {
    await src.close();
  }
}

/** Applies the float16 option and emits `ready`. */
export async function finishModel(files: ModelFiles, s: HubSettings, dtype: HubModelOptions['dtype']): Promise<ModelFiles> {
  if ((dtype === 'fp16' || dtype === 'float16') && files.format === 'safetensors' && !files.weightsFile.includes('fp16')) {
    const weightsEntry = files.entries[files.entries.length - 1]!;
    await files.weights.close();
    const converted = await convertCachedToFloat16(weightsEntry, files.cache, files.name, s);
    files.entries.push(converted);
    files.weights = await converted.open();
    files.weightsFile = converted.meta.file;
  }
  emitProgress(s.progress, { status: 'ready', task: 'model', model: files.name });
  return files;
}

/**
 * Downloads (or finds in the cache) one file of a hub repository (`name` is a repo id or a
 * released model's name) and returns the verified cache entry; `entry.open()` reads it.
 */
export async function fetchHubFile(name: string, file: string, options: HubOptions = {}): Promise<CachedEntry> {
  const parsed = requireHubName(name);
  const s = hubSettings(options);
  const revision = parsed.revision ?? options.revision ?? s.revision;
  const cache = await resolveCache(options.cache, { dir: options.cacheDir, env: s.env });
  const key = { url: hubFileUrl(s.endpoint, parsed.repo, revision, file), repo: parsed.repo, revision, file };
  return fetchIntoCache({ key, name, expected: expectedFile(parsed.preset, file, revision), sendToken: true }, cache, s);
}

/**
 * Downloads (or finds in the cache) a model by name: a released model's short name
 * (`titok-l32`, `titok-l32-generator`), its preset name, or any hub repo id (`owner/name`,
 * `owner/name@revision`). Fetches `config.json` and `model.safetensors` from
 * `<endpoint>/<repo>/resolve/<revision>/<file>`; for a released model without a safetensors file
 * it falls back to the published `.bin` checkpoint. The weights stay on disk (or in a cached
 * Blob) and are read tensor by tensor.
 *
 * @throws NetworkError (offline miss, HTTP errors with a hint, integrity), FormatError, ConfigError
 */
export async function openHubModel(name: string, options: HubModelOptions = {}): Promise<ModelFiles> {
  const parsed = requireHubName(name);
  const s = hubSettings(options);
  const revision = parsed.revision ?? options.revision ?? s.revision;
  const cache = await resolveCache(options.cache, { dir: options.cacheDir, env: s.env });
  const get = (repo: string, file: string, rev = revision) =>
    fetchIntoCache(
      {
        key: { url: hubFileUrl(s.endpoint, repo, rev, file), repo, revision: rev, file },
        name,
        expected: expectedFile(repo === parsed.repo ? parsed.preset : undefined, file, rev, options.expected),
        sendToken: true,
      },
      cache,
      s,
    );
  const entries: CachedEntry[] = [];
  let configEntry: CachedEntry | undefined;
  try {
    configEntry = await get(parsed.repo, 'config.json');
  } catch (e) {
    if (!parsed.preset || !isMissingFile(e, s.offline)) throw e; // a released model's config is also in its preset
  }
  if (configEntry) entries.push(configEntry);
  const tries = options.weightsFile
    ? [() => get(parsed.repo, options.weightsFile!)]
    : [() => get(parsed.repo, 'model.safetensors'), () => get(parsed.repo, 'pytorch_model.bin')];
  if (parsed.preset && !options.weightsFile) tries.push(() => get(CHECKPOINT_REPO, parsed.preset!.checkpointFile, 'main'));
  const weights = (await firstAvailable(s, tries))!;
  entries.push(weights);
  const weightsFile = weights.meta.file;
  const files: ModelFiles = {
    name,
    repo: parsed.repo,
    revision,
    preset: parsed.preset,
    configJson: configEntry ? await readJsonEntry(configEntry) : undefined,
    configFile: configEntry?.meta.url,
    weights: await weights.open(),
    weightsFile,
    format: /\.safetensors$/i.test(weightsFile) ? 'safetensors' : 'torch',
    entries,
    cache,
  };
  return finishModel(files, s, options.dtype);
}
