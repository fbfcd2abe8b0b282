import type { ModelCache } from './cache-types.js';
import { cacheApiCache } from './cache-api-cache.js';
import { indexedDbCache } from './indexeddb-cache.js';
import { memoryCache } from './memory-cache.js';

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * The cache a load uses when none is given: in Node the disk cache in `dir` (default
 * `TITOK_CACHE`, `$XDG_CACHE_HOME/titok` or `~/.cache/titok`), in browsers the Cache API, else
 * IndexedDB, else memory. `false` gives a fresh memory cache (nothing is kept).
 *
 * The disk cache is imported on demand, so browser bundles never load Node modules (bundlers:
 * keep dynamic imports as separate chunks, or mark `node:*` external).
 */
export async function resolveCache(
  cache: ModelCache | false | undefined,
  options: { dir?: string; env?: Record<string, string | undefined> } = {},
): Promise<ModelCache> {
  if (cache === false) return memoryCache();
  if (cache) return cache;
  if (isNode()) {
    const [{ diskCache }, { defaultCacheDir }] = await Promise.all([import('./disk-cache.js'), import('./disk-paths.js')]);
    return diskCache({ dir: options.dir ?? defaultCacheDir(options.env ?? process.env) });
  }
  if ((globalThis as { caches?: unknown }).caches) return cacheApiCache();
  if ((globalThis as { indexedDB?: unknown }).indexedDB) return indexedDbCache();
  return memoryCache();
}
