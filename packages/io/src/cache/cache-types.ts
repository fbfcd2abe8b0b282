import type { ByteSource } from '../source/byte-source.js';

/** Which file a cache entry holds. */
export interface CacheKey {
  /** Where the file is downloaded from (a hub `resolve` URL or any URL); the browser caches' key. */
  url: string;
  /** For hub files: `owner/name`, the revision asked for and the path in the repo. */
  repo?: string;
  revision?: string;
  /** File name (the path in the repo, or the URL's last segment). */
  file: string;
}

/** What the cache records about a verified entry. */
export interface CacheEntryMeta {
  url: string;
  repo?: string;
  revision?: string;
  file: string;
  /** Size in bytes, checked on every lookup. */
  size: number;
  /** SHA-256 of the content (lower-case hex), computed while downloading. */
  sha256: string;
  /** What the download was checked against: `server` (X-Linked-Etag/ETag), `registry`, `converted` (made here from another entry) or `none`. */
  verifiedBy: 'server' | 'registry' | 'none' | 'converted';
  /** The server's ETag (the hub's X-Linked-Etag when there is one). */
  etag?: string;
  /** The hub's commit (X-Repo-Commit), when it sent one. */
  commit?: string;
  /** ISO date of the download. */
  storedAt: string;
  /** Where it is: a file path (disk) or the cache's name (browsers). */
  location?: string;
}

/** A verified file in a cache. */
export interface CachedEntry {
  meta: CacheEntryMeta;
  /** The file on disk (disk cache only). */
  path?: string;
  /** Random access to the bytes, read on demand (no full copy in memory). */
  open(): Promise<ByteSource>;
}

/** What a partial download was fetching, so a resume never mixes two versions of a file. */
export interface DownloadTarget {
  size?: number;
  sha256?: string;
  etag?: string;
}

/**
 * One download being written into a cache. Only one writer per entry exists at a time (the disk
 * cache holds a lock file); nothing becomes visible to readers before {@link commit}.
 */
export interface CacheWriter {
  /** Bytes already present (a resumed partial download); the next byte to write is at this offset. */
  readonly offset: number;
  /** What the partial bytes belong to, when there are any. */
  readonly partialTarget?: DownloadTarget;
  /** Records what is being downloaded (kept with the partial file for a later resume). */
  setTarget(target: DownloadTarget): Promise<void>;
  /** Appends bytes. The writer may keep `chunk` until it is flushed: do not modify it afterwards. */
  write(chunk: Uint8Array): Promise<void>;
  /** Discards everything written (the server ignored Range, or the file changed). */
  reset(): Promise<void>;
  /** SHA-256 (hex) of every byte written, including the resumed part. */
  sha256(): Promise<string>;
  /** Publishes the verified bytes atomically and returns the entry. */
  commit(meta: Omit<CacheEntryMeta, 'storedAt' | 'location'>): Promise<CachedEntry>;
  /** Stops without publishing, keeping the partial bytes for a resume. */
  release(): Promise<void>;
  /** Stops without publishing and deletes the partial bytes (they failed verification). */
  discard(): Promise<void>;
}

/** Options of {@link ModelCache.begin}. */
export interface BeginOptions {
  signal?: AbortSignal;
  /** Called while another process downloads the same file, with the bytes it has so far. */
  onWait?: (loaded: number) => void;
}

/**
 * Where downloaded model files are kept: a folder in Node, the Cache API or IndexedDB in
 * browsers, or memory. Entries are trusted only after their size and SHA-256 were verified.
 */
export interface ModelCache {
  /** `disk`, `cache-api`, `indexeddb` or `memory`. */
  readonly kind: string;
  /** The folder or the browser cache's name. */
  readonly location: string;
  /** A complete, verified entry, or undefined. */
  get(key: CacheKey): Promise<CachedEntry | undefined>;
  /**
   * Starts writing `key`: a writer, or the finished entry when another process completed the
   * same download while this one waited.
   */
  begin(key: CacheKey, options?: BeginOptions): Promise<CacheWriter | CachedEntry>;
  /** Every entry. */
  list(): Promise<CacheEntryMeta[]>;
  /** Deletes the entries `match` accepts (with their partial downloads); returns them. */
  remove(match: (meta: CacheEntryMeta) => boolean): Promise<CacheEntryMeta[]>;
}

/** True when `x` is a {@link CachedEntry} (as opposed to a writer). */
export function isCachedEntry(x: CacheWriter | CachedEntry): x is CachedEntry {
  return typeof (x as CachedEntry).open === 'function' && 'meta' in x;
}
