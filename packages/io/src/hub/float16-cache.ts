import type { StateDict, StateDictTensor } from '@titok/core';
import { isCachedEntry } from '../cache/cache-types.js';
import type { CacheKey, CachedEntry, ModelCache } from '../cache/cache-types.js';
import { convertTo } from '../formats/dtype-convert.js';
import { readSafetensors } from '../formats/safetensors-reader.js';
import { writeSafetensors } from '../formats/safetensors-writer.js';
import type { HubSettings } from './hub-options.js';
import { emitProgress, progressThrottle } from './progress.js';

/** `model.safetensors` -> `model.fp16.safetensors`. */
export function float16Name(file: string): string {
  return /\.safetensors$/i.test(file) ? file.replace(/\.safetensors$/i, '.fp16.safetensors') : `${file}.fp16.safetensors`;
}

/**
 * Returns the float16 copy of a cached float32 safetensors file, writing it beside the original
 * (same cache, same folder, `*.fp16.safetensors`) the first time, with the safetensors writer:
 * tensor by tensor, so only one tensor is in memory at a time; float32 tensors become float16
 * (round to nearest even), others are copied. The copy goes through the cache's writer, so it is
 * atomic and locked like a download.
 */
export async function convertCachedToFloat16(entry: CachedEntry, cache: ModelCache, name: string, s: HubSettings): Promise<CachedEntry> {
  const file = float16Name(entry.meta.file);
  // a query, not a fragment: the Cache API ignores fragments when matching
  const url = `${entry.meta.url}${entry.meta.url.includes('?') ? '&' : '?'}titok-convert=fp16`;
  const key: CacheKey = { url, repo: entry.meta.repo, revision: entry.meta.revision, file };
  emitProgress(s.progress, { status: 'initiate', name, file });
  const hit = await cache.get(key);
  if (hit && hit.meta.etag === entry.meta.sha256) {
    emitProgress(s.progress, { status: 'done', name, file });
    return hit;
  }
  const begun = await cache.begin(key, { signal: s.signal });
  if (isCachedEntry(begun)) return begun;
  const w = begun;
  const sd = await readSafetensors(await entry.open());
  let ok = false;
  try {
    if (w.offset) await w.reset();
    // a view of the float32 file whose F32 tensors read as F16 (rounded to nearest even)
    const tensors = new Map<string, StateDictTensor>();
    for (const t of sd.tensors.values()) {
      if (t.dtype !== 'F32') tensors.set(t.name, t);
      else tensors.set(t.name, { ...t, dtype: 'F16', byteLength: t.byteLength / 2, read: async () => convertTo(await t.read(), 'F32', 'float16', t.name) });
    }
    const half: StateDict = { ...sd, tensors };
    await w.setTarget({ etag: entry.meta.sha256 });
    const total = 8 + [...tensors.values()].reduce((n, t) => n + t.byteLength, 0);
    const progress = progressThrottle(s.progress, name, file);
    await writeSafetensors(half, {
      write: async (chunk) => {
        await w.write(chunk);
        progress(w.offset, total);
      },
    }, { metadata: { ...sd.metadata, titok_converted_from: entry.meta.sha256 } });
    const sha256 = await w.sha256();
    const done = await w.commit({
      url: key.url,
      repo: key.repo,
      revision: key.revision,
      file,
      size: w.offset,
      sha256,
      verifiedBy: 'converted',
      etag: entry.meta.sha256,
    });
    ok = true;
    emitProgress(s.progress, { status: 'done', name, file });
    return done;
  } finally {
    await sd.close();
    if (!ok) await w.discard().catch(() => {});
  }
}
