import type { ModelSourceResolver, OpenModelSourceOptions, ResolvedModelFiles } from '../model-source/types.js';
import { openHubModel } from './hub-model.js';
import type { HubModelOptions, ModelFiles } from './hub-model.js';
import { parseHubName } from './hub-name.js';
import { hubSettings } from './hub-options.js';
import { isMissingFile } from './http-errors.js';
import { openUrlModel } from './url-model.js';

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function toResolved(files: ModelFiles): ResolvedModelFiles {
  return {
    weights: files.weights,
    weightsFile: files.weights.name,
    configJson: files.configJson,
    configFile: files.configFile,
    preset: files.preset,
  };
}

/**
 * `openModelSource` resolver for names: a released model's short name (`titok-l32`,
 * `titok-l32-generator`), its preset name (`titok_l32`) or a hub repo id (`owner/name`,
 * `owner/name@revision`). Downloads into the cache (see {@link openHubModel}; every
 * {@link HubModelOptions} option is read from the openModelSource options). It comes after the
 * local-path resolver, so an existing folder with the same name wins.
 */
export const hubResolver: ModelSourceResolver = {
  name: 'hub',
  async resolve(input, options) {
    if (typeof input !== 'string' || !parseHubName(input)) return undefined;
    return toResolved(await openHubModel(input, options as HubModelOptions));
  },
};

/**
 * `openModelSource` resolver for http(s) URLs of weights files and model folders, through the
 * cache. In browsers it is on by default (the Cache API: a second load makes no request). In
 * Node a URL is read in place with Range requests (the `url` resolver) unless a `cache` or
 * `cacheDir` option asks for the disk cache, or the URL is already cached (then no request is
 * made). `cache: false` always leaves URLs to the `url` resolver; tfjs `model.json` URLs too.
 */
export const cachedUrlResolver: ModelSourceResolver = {
  name: 'cached-url',
  async resolve(input, options: OpenModelSourceOptions) {
    const text = typeof input === 'string' ? input : input instanceof URL ? input.toString() : undefined;
    if (!text || !/^https?:\/\//i.test(text) || /\.json$/i.test(new URL(text).pathname)) return undefined;
    const o = options as HubModelOptions;
    if (o.cache === false) return undefined;
    const s = hubSettings(o);
    const lookupOnly = isNode() && o.cache === undefined && o.cacheDir === undefined && !s.offline;
    try {
      return toResolved(await openUrlModel(text, lookupOnly ? { ...o, offline: true, progress_callback: undefined } : o));
    } catch (e) {
      if (s.offline) throw e; // offline: never fall through to a resolver that uses the network
      // not cached (Node, no cache asked for), or no safetensors/bin at a folder URL: the url resolver takes it
      const isFolder = !/\.(safetensors|bin|pt|pth|ckpt)$/i.test(new URL(text).pathname);
      if ((lookupOnly && isMissingFile(e, true)) || (isFolder && isMissingFile(e, false))) return undefined;
      throw e;
    }
  },
};
