import { blobSource } from '../source/byte-source.js';
import { blobWriter } from './blob-writer.js';
import type { CacheEntryMeta, CachedEntry, ModelCache } from './cache-types.js';

/**
 * A cache that keeps downloads in memory for the lifetime of the object (`cache: false` uses a
 * fresh one per load, so nothing is stored). Used where no persistent storage exists.
 */
export function memoryCache(): ModelCache {
  const entries = new Map<string, { meta: CacheEntryMeta; blob: Blob }>();
  const entry = (meta: CacheEntryMeta, blob: Blob): CachedEntry => ({ meta, open: async () => blobSource(blob, meta.url) });
  return {
    kind: 'memory',
    location: 'memory',
    async get(key) {
      const e = entries.get(key.url);
      return e ? entry(e.meta, e.blob) : undefined;
    },
    async begin() {
      return blobWriter(async (blob, meta) => {
        entries.set(meta.url, { meta, blob });
        return entry(meta, blob);
      });
    },
    async list() {
      return [...entries.values()].map((e) => e.meta);
    },
    async remove(match) {
      const out: CacheEntryMeta[] = [];
      for (const [url, e] of entries) {
        if (match(e.meta)) {
          entries.delete(url);
          out.push(e.meta);
        }
      }
      return out;
    },
  };
}
