import { FormatError } from '@titok/core';
import { blobSource } from '../source/byte-source.js';
import { blobWriter } from './blob-writer.js';
import type { CacheEntryMeta, CacheKey, CachedEntry, ModelCache } from './cache-types.js';
import { holdWebLock } from './web-lock.js';

const STORE = 'files';

interface Row {
  url: string;
  meta: CacheEntryMeta;
  blob: Blob;
}

function promisify<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb(name: string): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new FormatError('IndexedDB is not available here');
  const req = idb.open(name, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'url' });
  return promisify(req);
}

async function tx<T>(db: IDBDatabase, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return promisify(fn(db.transaction(STORE, mode).objectStore(STORE)));
}

/**
 * The browser cache's fallback where the Cache API is missing: Blobs in IndexedDB (database
 * `titok-models`, store `files`, keyed by URL). Same guarantees as {@link cacheApiCache}.
 */
export function indexedDbCache(name = 'titok-models'): ModelCache {
  let db: Promise<IDBDatabase> | undefined;
  const getDb = () => (db ??= openDb(name));
  const entryOf = (r: Row): CachedEntry => ({ meta: { ...r.meta, location: `indexeddb:${name}` }, open: async () => blobSource(r.blob, r.url) });
  const read = async (url: string): Promise<CachedEntry | undefined> => {
    const row = (await tx(await getDb(), 'readonly', (s) => s.get(url))) as Row | undefined;
    if (!row || !(row.blob instanceof Blob) || row.blob.size !== row.meta?.size) return undefined;
    return entryOf(row);
  };
  const cache: ModelCache = {
    kind: 'indexeddb',
    location: `indexeddb:${name}`,
    get: (key: CacheKey) => read(key.url),
    async begin(key: CacheKey) {
      const lock = await holdWebLock(`titok:${key.url}`);
      if (lock.waited) {
        const done = await read(key.url);
        if (done) {
          await lock.release();
          return done;
        }
      }
      return blobWriter(async (blob, meta) => {
        const row: Row = { url: key.url, meta, blob };
        await tx(await getDb(), 'readwrite', (s) => s.put(row));
        return (await read(key.url)) ?? entryOf(row);
      }, lock.release);
    },
    async list() {
      const rows = (await tx(await getDb(), 'readonly', (s) => s.getAll())) as Row[];
      return rows.map((r) => ({ ...r.meta, location: `indexeddb:${name}` }));
    },
    async remove(match) {
      const out: CacheEntryMeta[] = [];
      for (const meta of await cache.list()) {
        if (!match(meta)) continue;
        await tx(await getDb(), 'readwrite', (s) => s.delete(meta.url));
        out.push(meta);
      }
      return out;
    },
  };
  return cache;
}
