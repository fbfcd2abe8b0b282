import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { fileSource } from '../source/node.js';
import type { BeginOptions, CacheEntryMeta, CacheKey, CacheWriter, CachedEntry, DownloadTarget, ModelCache } from './cache-types.js';
import { defaultCacheDir, entryPaths } from './disk-paths.js';
import type { EntryPaths } from './disk-paths.js';
import { acquireLock } from './file-lock.js';

/** Options of {@link diskCache}. */
export interface DiskCacheOptions {
  /** The folder; default {@link defaultCacheDir}. */
  dir?: string;
  /** A download lock not refreshed for this long is taken over (default 30 s). */
  staleLockMs?: number;
}

async function readJson<T>(p: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(p, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes a file atomically: a unique temporary name in the same folder, then rename. */
async function writeAtomic(p: string, text: string): Promise<void> {
  const tmp = `${p}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  await fsp.writeFile(tmp, text);
  await fsp.rename(tmp, p);
}

async function entryAt(paths: EntryPaths, key: CacheKey): Promise<CachedEntry | undefined> {
  const meta = await readJson<CacheEntryMeta>(paths.meta);
  if (!meta || typeof meta.size !== 'number' || typeof meta.sha256 !== 'string') return undefined;
  if (!key.repo && meta.url !== key.url) return undefined; // another URL with the same file name
  try {
    const st = await fsp.stat(paths.file);
    if (!st.isFile() || st.size !== meta.size) return undefined;
  } catch {
    return undefined;
  }
  return { meta: { ...meta, location: paths.file }, path: paths.file, open: () => fileSource(paths.file) };
}

async function hashFile(p: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(p, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

/** Buffered bytes are written at 4 MB or every half second, so an interrupted download keeps them. */
const FLUSH_AT = 4 << 20;
const FLUSH_MS = 500;

async function openWriter(paths: EntryPaths, root: string, unlock: () => Promise<void>): Promise<CacheWriter> {
  const release = async () => {
    await unlock();
    await pruneEmpty(path.dirname(paths.partial), root); // nothing left of a download that never started
  };
  await fsp.mkdir(path.dirname(paths.partial), { recursive: true });
  let target = await readJson<DownloadTarget>(paths.partialTarget);
  let hash = createHash('sha256');
  let offset = 0;
  let existing = 0;
  try {
    existing = (await fsp.stat(paths.partial)).size;
  } catch {
    // no partial download
  }
  if (existing > 0 && target) {
    await hashFile(paths.partial, hash);
    offset = existing;
  } else {
    target = undefined;
    await fsp.rm(paths.partialTarget, { force: true });
  }
  const fh = await fsp.open(paths.partial, offset > 0 ? 'r+' : 'w');
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let written = offset;
  let closed = false;
  let lastFlush = Date.now();
  const flush = async () => {
    lastFlush = Date.now();
    if (!pendingBytes) return;
    let chunks = pending;
    const total = pendingBytes;
    pending = [];
    pendingBytes = 0;
    let done = 0;
    while (done < total) {
      const { bytesWritten } = await fh.writev(chunks, written + done);
      done += bytesWritten;
      if (done < total) chunks = [Buffer.concat(chunks).subarray(bytesWritten)]; // a short write: rare
    }
    written += total;
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close().catch(() => {});
  };
  const writer: CacheWriter & { offset: number; partialTarget?: DownloadTarget } = {
    offset,
    partialTarget: target,
    async setTarget(t) {
      await writeAtomic(paths.partialTarget, JSON.stringify(t));
      writer.partialTarget = t;
    },
    async write(chunk) {
      hash.update(chunk);
      pending.push(chunk); // kept until the next flush (writers own the chunks they are given)
      pendingBytes += chunk.byteLength;
      writer.offset += chunk.byteLength;
      if (pendingBytes >= FLUSH_AT || Date.now() - lastFlush > FLUSH_MS) await flush();
    },
    async reset() {
      pending = [];
      pendingBytes = 0;
      await fh.truncate(0);
      written = 0;
      writer.offset = 0;
      hash = createHash('sha256');
      writer.partialTarget = undefined;
      await fsp.rm(paths.partialTarget, { force: true });
    },
    async sha256() {
      return hash.copy().digest('hex');
    },
    async commit(m) {
      await flush();
      await fh.sync();
      await close();
      await fsp.mkdir(path.dirname(paths.file), { recursive: true });
      await fsp.rename(paths.partial, paths.file);
      const meta: CacheEntryMeta = { ...m, storedAt: new Date().toISOString() };
      await writeAtomic(paths.meta, `${JSON.stringify(meta, null, 2)}\n`);
      await fsp.rm(paths.partialTarget, { force: true });
      await release();
      return { meta: { ...meta, location: paths.file }, path: paths.file, open: () => fileSource(paths.file) };
    },
    async release() {
      if (!closed) await flush().catch(() => {});
      await close();
      if (writer.offset === 0) {
        await fsp.rm(paths.partial, { force: true });
        await fsp.rm(paths.partialTarget, { force: true });
      }
      await release();
    },
    async discard() {
      await close();
      await fsp.rm(paths.partial, { force: true });
      await fsp.rm(paths.partialTarget, { force: true });
      await release();
    },
  };
  return writer;
}

async function walk(dir: string, out: string[]): Promise<void> {
  let items: import('node:fs').Dirent[];
  try {
    items = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const d of items) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) await walk(p, out);
    else if (d.isFile() && path.basename(dir) === '.titok' && d.name.endsWith('.json') && !d.name.endsWith('.incomplete.json')) out.push(p);
  }
}

async function pruneEmpty(dir: string, root: string): Promise<void> {
  let d = dir;
  while (d.startsWith(root) && d !== root) {
    try {
      await fsp.rmdir(d);
    } catch {
      return;
    }
    d = path.dirname(d);
  }
}

/**
 * The Node disk cache: `<dir>/hub/<owner>--<name>/<revision>/<file>` (a folder that also loads as
 * a local model) and `<dir>/url/<host>/<hash>/<file>`, with bookkeeping in `.titok/` beside.
 * Downloads go to `.titok/<file>.incomplete` under a lock file (one writer per file across
 * processes; a dead holder's lock is taken over), survive interruption for a later resume, and
 * become visible only by an atomic rename once verified.
 */
export function diskCache(options: DiskCacheOptions = {}): ModelCache {
  const root = path.resolve(options.dir ?? defaultCacheDir());
  const cache: ModelCache = {
    kind: 'disk',
    location: root,
    get: (key: CacheKey) => entryAt(entryPaths(root, key), key),
    async begin(key: CacheKey, opts: BeginOptions = {}) {
      const paths = entryPaths(root, key);
      await fsp.mkdir(path.dirname(paths.lock), { recursive: true });
      let waited = false;
      let found: CachedEntry | undefined;
      const lock = await acquireLock(paths.lock, {
        signal: opts.signal,
        staleMs: options.staleLockMs,
        onBusy: async () => {
          waited = true;
          found = await entryAt(paths, key);
          if (!found && opts.onWait) {
            const size = await fsp.stat(paths.partial).then((s) => s.size, () => 0);
            opts.onWait(size);
          }
          return !!found;
        },
      });
      if (!lock) return found!;
      if (waited) {
        const done = await entryAt(paths, key);
        if (done) {
          await lock.release();
          return done;
        }
      }
      try {
        return await openWriter(paths, root, () => lock.release());
      } catch (e) {
        await lock.release();
        throw e;
      }
    },
    async list() {
      const files: string[] = [];
      await walk(path.join(root, 'hub'), files);
      await walk(path.join(root, 'url'), files);
      const out: CacheEntryMeta[] = [];
      for (const f of files.sort()) {
        const meta = await readJson<CacheEntryMeta>(f);
        if (!meta || typeof meta.file !== 'string') continue;
        const e = await entryAt(entryPaths(root, meta), meta);
        if (e) out.push(e.meta);
      }
      return out;
    },
    async remove(match) {
      const removed: CacheEntryMeta[] = [];
      for (const meta of await cache.list()) {
        if (!match(meta)) continue;
        const p = entryPaths(root, meta);
        for (const f of [p.meta, p.file, p.partial, p.partialTarget]) await fsp.rm(f, { force: true });
        await pruneEmpty(path.dirname(p.meta), root);
        await pruneEmpty(path.dirname(p.file), root);
        removed.push(meta);
      }
      return removed;
    },
  };
  return cache;
}
