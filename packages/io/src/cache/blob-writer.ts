import { createSha256 } from '../hub/sha256.js';
import type { CacheEntryMeta, CacheWriter, CachedEntry, DownloadTarget } from './cache-types.js';

const PART = 16 << 20;

/**
 * A {@link CacheWriter} for browsers and memory: bytes are gathered into Blobs of 16 MB (which
 * browsers may keep out of the JavaScript heap) and hashed as they arrive. A resume continues
 * from what this writer received; nothing survives the page.
 */
export function blobWriter(
  publish: (blob: Blob, meta: CacheEntryMeta) => Promise<CachedEntry>,
  release: () => Promise<void> = async () => {},
): CacheWriter {
  let parts: Blob[] = [];
  let chunks: Uint8Array[] = [];
  let chunkBytes = 0;
  let hash = createSha256();
  let finished = false;
  const seal = () => {
    if (chunkBytes) parts.push(new Blob(chunks as BlobPart[]));
    chunks = [];
    chunkBytes = 0;
  };
  const end = async () => {
    if (finished) return;
    finished = true;
    parts = [];
    chunks = [];
    await release();
  };
  const w: CacheWriter & { offset: number; partialTarget?: DownloadTarget } = {
    offset: 0,
    partialTarget: undefined,
    async setTarget(t) {
      w.partialTarget = t;
    },
    async write(chunk) {
      hash.update(chunk);
      chunks.push(chunk);
      chunkBytes += chunk.byteLength;
      w.offset += chunk.byteLength;
      if (chunkBytes >= PART) seal();
    },
    async reset() {
      parts = [];
      chunks = [];
      chunkBytes = 0;
      w.offset = 0;
      w.partialTarget = undefined;
      hash = createSha256();
    },
    async sha256() {
      return hash.hex();
    },
    async commit(m) {
      seal();
      const blob = new Blob(parts, { type: 'application/octet-stream' });
      parts = [];
      try {
        return await publish(blob, { ...m, storedAt: new Date().toISOString() });
      } finally {
        await end();
      }
    },
    release: end,
    discard: end,
  };
  return w;
}
