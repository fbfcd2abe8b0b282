import { ConfigError } from '@titok/core';
import { resolveCache } from '../cache/default-cache.js';
import type { CachedEntry } from '../cache/cache-types.js';
import { fetchIntoCache } from './download.js';
import { finishModel, readJsonEntry } from './hub-model.js';
import type { HubModelOptions, ModelFiles } from './hub-model.js';
import { hubSettings } from './hub-options.js';
import type { HubOptions } from './hub-options.js';
import { isMissingFile } from './http-errors.js';

const WEIGHTS = /\.(safetensors|bin|pt|pth|ckpt)$/i;
/** Weights a folder URL may hold, in order (a tfjs `model.json` is read in place by the URL resolver). */
const FOLDER_WEIGHTS = ['model.safetensors', 'pytorch_model.bin'];

function lastSegment(url: URL): string {
  const parts = url.pathname.split('/').filter(Boolean);
  return decodeURIComponent(parts[parts.length - 1] ?? 'index');
}

/**
 * Downloads (or finds in the cache) one file by URL: the same cache, verification, resume,
 * retries and progress events as hub files, keyed by the URL. No token is sent.
 */
export async function fetchCachedUrl(url: string, options: HubOptions & { name?: string } = {}): Promise<CachedEntry> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`'${url}' is not a URL`);
  }
  const s = hubSettings(options);
  const cache = await resolveCache(options.cache, { dir: options.cacheDir, env: s.env });
  return fetchIntoCache({ key: { url: u.toString(), file: lastSegment(u) }, name: options.name ?? url }, cache, s);
}

/**
 * Loads a model by URL through the cache: a weights file (`.safetensors`, `.bin`, ...) or a
 * folder URL holding `model.safetensors` (else `pytorch_model.bin`), with the `config.json`
 * beside them when there is one. A second load reads the cache and makes no request.
 *
 * @throws NetworkError (404 names the URL; offline miss), FormatError, CancelledError
 */
export async function openUrlModel(url: string, options: HubModelOptions = {}): Promise<ModelFiles> {
  const s = hubSettings(options);
  const cache = await resolveCache(options.cache, { dir: options.cacheDir, env: s.env });
  const opts = { ...options, cache, name: url };
  const u = new URL(url);
  const isFile = WEIGHTS.test(u.pathname);
  const folder = new URL(isFile ? '.' : u.pathname.endsWith('/') ? u.toString() : `${u.toString()}/`, u);
  const candidates = isFile ? [u.toString()] : (options.weightsFile ? [options.weightsFile] : FOLDER_WEIGHTS).map((f) => new URL(f, folder).toString());
  let weights: CachedEntry | undefined;
  let first: unknown;
  for (const c of candidates) {
    try {
      weights = await fetchCachedUrl(c, opts);
      break;
    } catch (e) {
      if (!isMissingFile(e, s.offline)) throw e;
      first ??= e;
    }
  }
  if (!weights) throw first;
  let configEntry: CachedEntry | undefined;
  try {
    configEntry = await fetchCachedUrl(new URL('config.json', folder).toString(), opts);
  } catch (e) {
    if (!isMissingFile(e, s.offline)) throw e; // no config.json: the weights may be a released model
  }
  const entries = configEntry ? [configEntry, weights] : [weights];
  const files: ModelFiles = {
    name: url,
    configJson: configEntry ? await readJsonEntry(configEntry) : undefined,
    configFile: configEntry?.meta.url,
    weights: await weights.open(),
    weightsFile: weights.meta.file,
    format: /\.safetensors$/i.test(weights.meta.file) ? 'safetensors' : 'torch',
    entries,
    cache,
  };
  return finishModel(files, s, options.dtype);
}
