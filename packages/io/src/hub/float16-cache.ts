import { floatToHalf } from '@titok/core';
import { isCachedEntry } from '../cache/cache-types.js';
import type { CacheKey, CachedEntry, ModelCache } from '../cache/cache-types.js';
import { readSafetensors } from '../formats/safetensors-reader.js';
import type { HubSettings } from './hub-options.js';
import { emitProgress, progressThrottle } from './progress.js';

/** `model.safetensors` -> `model.fp16.safetensors`. */
export function float16Name(file: string): string {
  return /\.safetensors$/i.test(file) ? file.replace(/\.safetensors$/i, '.fp16.safetensors') : `${file}.fp16.safetensors`;
}

function toHalf(bytes: Uint8Array): Uint8Array {
  const n = bytes.byteLength / 4;
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint8Array(n * 2);
  const dst = new DataView(out.buffer);
  for (let i = 0; i < n; i++) dst.setUint16(i * 2, floatToHalf(src.getFloat32(i * 4, true)), true);
  return out;
}

/**
 * Returns the float16 copy of a cached float32 safetensors file, writing it beside the original
 * (same cache, same folder, `*.fp16.safetensors`) the first time: tensor by tensor, so only one
 * tensor is in memory at a time; float32 tensors become float16, others are copied. The copy is
 * written through the cache's writer, so it is atomic and locked like a download.
 */
export async function convertCachedToFloat16(entry: CachedEntry, cache: ModelCache, name: string, s: HubSettings): Promise<CachedEntry> {
  const file = float16Name(entry.meta.file);
  const key: CacheKey = { url: `${entry.meta.url}#titok-fp16`, repo: entry.meta.repo, revision: entry.meta.revision, file };
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
    const header: Record<string, unknown> = { __metadata__: { ...sd.metadata, titok_converted_from: entry.meta.sha256 } };
    let offset = 0;
    const plan: { key: string; half: boolean }[] = [];
    for (const t of sd.tensors.values()) {
      const half = t.dtype === 'F32';
      const size = half ? t.byteLength / 2 : t.byteLength;
      header[t.name] = { dtype: half ? 'F16' : t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
      plan.push({ key: t.name, half });
      offset += size;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8); // keep the data 8-byte aligned
    const jsonBytes = new TextEncoder().encode(json);
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
    await w.setTarget({ etag: entry.meta.sha256 });
    await w.write(len);
    await w.write(jsonBytes);
    const total = 8 + jsonBytes.byteLength + offset;
    const progress = progressThrottle(s.progress, name, file);
    for (const p of plan) {
      const bytes = await sd.tensors.get(p.key)!.read();
      await w.write(p.half ? toHalf(bytes) : bytes);
      progress(w.offset, total);
    }
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
