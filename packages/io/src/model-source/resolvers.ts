import { isByteSource, toByteSource } from '../source/byte-source.js';
import { isNode, nodeFiles } from './load-config.js';
import { urlResolver } from './url-resolver.js';
import { cachedUrlResolver, hubResolver } from '../hub/hub-resolver.js';
import type { ModelSourceResolver } from './types.js';

/** Bytes, Blobs/Files and ByteSources: the weights themselves. */
export const bytesResolver: ModelSourceResolver = {
  name: 'bytes',
  async resolve(input, options) {
    const isBlob = typeof Blob !== 'undefined' && input instanceof Blob;
    if (!(input instanceof ArrayBuffer || input instanceof Uint8Array || isBlob || isByteSource(input))) return undefined;
    const weights = toByteSource(input, options.name);
    return { weights, weightsFile: weights.name };
  },
};

/** Local folders and files; the Node-only code is imported on first use, under Node only. */
export const localPathResolver: ModelSourceResolver = {
  name: 'node-path',
  async resolve(input, options) {
    if (!isNode()) return undefined;
    return (await nodeFiles()).nodePathResolver.resolve(input, options);
  },
};

/**
 * The resolvers `openModelSource` tries, in order: bytes, http(s) URLs (through the cache where
 * one applies, see `cachedUrlResolver`, else read in place), local paths, hub names. This is
 * the extension point for other kinds of names: a resolver for hub ids and short names
 * (`titok-l32`, `owner/repo`) belongs after `localPathResolver` (a local folder of the same
 * name wins), added here or with {@link registerModelSourceResolver}.
 */
export const MODEL_SOURCE_RESOLVERS: ModelSourceResolver[] = [bytesResolver, cachedUrlResolver, urlResolver, localPathResolver, hubResolver];

/**
 * Adds a resolver to the default list (at the end, or first with `{ first: true }`).
 * Replaces one with the same name.
 */
export function registerModelSourceResolver(resolver: ModelSourceResolver, options: { first?: boolean } = {}): void {
  const i = MODEL_SOURCE_RESOLVERS.findIndex((r) => r.name === resolver.name);
  if (i >= 0) MODEL_SOURCE_RESOLVERS.splice(i, 1);
  if (options.first) MODEL_SOURCE_RESOLVERS.unshift(resolver);
  else MODEL_SOURCE_RESOLVERS.push(resolver);
}
