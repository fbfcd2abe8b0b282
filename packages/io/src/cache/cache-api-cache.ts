import { FormatError } from '@titok/core';
import { blobSource } from '../source/byte-source.js';
import { blobWriter } from './blob-writer.js';
import type { CacheEntryMeta, CacheKey, CachedEntry, ModelCache } from './cache-types.js';
import { holdWebLock } from './web-lock.js';

/** The default name of the browser cache. */
export const BROWSER_CACHE_NAME = 'titok-models';
const META_HEADER = 'x-titok-meta';

function entryOf(meta: CacheEntryMeta, blob: Blob, name: string): CachedEntry {
  return { meta: { ...meta, location: name }, open: async () => blobSource(blob, meta.url) };
}

async function read(c: Cache, url: string, name: string): Promise<CachedEntry | undefined> {
  const res = await c.match(url);
  if (!res) return undefined;
  let meta: CacheEntryMeta;
  try {
    meta = JSON.parse(decodeURIComponent(res.headers.get(META_HEADER) ?? '')) as CacheEntryMeta;
  } catch {
    await c.delete(url);
    return undefined;
  }
  const blob = await res.blob();
  if (blob.size !== meta.size) {
    await c.delete(url); // truncated by the browser: never trust it
    return undefined;
  }
  return entryOf(meta, blob, name);
}

/**
 * The browser cache, through the Cache API (`caches.open('titok-models')`), keyed by the file's
 * URL. A cached entry is read back as a Blob, so tensors are sliced from it on demand without a
 * second copy in memory. Web Locks keep two tabs from downloading the same file at once.
 */
export function cacheApiCache(name = BROWSER_CACHE_NAME): ModelCache {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) throw new FormatError('the Cache API (caches) is not available here');
  const open = () => storage.open(name);
  const cache: ModelCache = {
    kind: 'cache-api',
    location: name,
    async get(key: CacheKey) {
      return read(await open(), key.url, name);
    },
    async begin(key: CacheKey) {
      const lock = await holdWebLock(`titok:${key.url}`);
      if (lock.waited) {
        const done = await read(await open(), key.url, name);
        if (done) {
          await lock.release();
          return done;
        }
      }
      return blobWriter(async (blob, meta) => {
        const c = await open();
        const headers = { 'content-type': 'application/octet-stream', 'content-length': String(blob.size), [META_HEADER]: encodeURIComponent(JSON.stringify(meta)) };
        await c.put(key.url, new Response(blob, { headers }));
        return (await read(c, key.url, name)) ?? entryOf(meta, blob, name);
      }, lock.release);
    },
    async list() {
      const c = await open();
      const out: CacheEntryMeta[] = [];
      for (const req of await c.keys()) {
        const res = await c.match(req);
        const raw = res?.headers.get(META_HEADER);
        if (!raw) continue;
        try {
          out.push({ ...(JSON.parse(decodeURIComponent(raw)) as CacheEntryMeta), location: name });
        } catch {
          // not ours
        }
      }
      return out;
    },
    async remove(match) {
      const c = await open();
      const out: CacheEntryMeta[] = [];
      for (const meta of await cache.list()) {
        if (match(meta) && (await c.delete(meta.url))) out.push(meta);
      }
      return out;
    },
  };
  return cache;
}
