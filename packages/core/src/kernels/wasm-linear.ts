/**
 * Linear layers on tfjs-backend-wasm 4.22 within its 4 GiB heap (`TitokLinear`).
 *
 * XNNPACK multiplies by a weight after packing it into its own layout, and tfjs-backend-wasm
 * keeps that packed copy for as long as the weight lives: the heap holds every weight twice.
 * TiTok-L-32 (2.6 GB of float32 weights) would need 5 GB. This kernel keeps the packed copy of
 * a weight while the heap has room for it (see {@link setWasmWeightCache}) and otherwise packs
 * the weight for one product and frees the copy right after (through a tensor id registered over
 * the weight's memory, which it then unregisters): a few percent slower, and no extra memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dropView, int32Bytes, makeView } from './wasm-backend.js';
import type { WasmBackendLike, WasmFuncs } from './wasm-backend.js';

/** The kernel's name in tfjs' registry. */
export const LINEAR_KERNEL = 'TitokLinear';

/** Settings of the packed-weight cache ({@link setWasmWeightCache}). */
export interface WasmWeightCacheOptions {
  /** The heap size to stay under, bytes (default 4 GiB, the wasm32 limit). */
  heapLimitBytes?: number;
  /** Room left for activations and everything else, bytes (default 1.5 GiB). */
  reserveBytes?: number;
}

const settings = { heapLimitBytes: 4 * 2 ** 30, reserveBytes: 1.5 * 2 ** 30 };
/** Weights whose packed copy is kept, by their data id: bytes of the copy. */
const cached = new Map<object, number>();
/** Weights packed per product (no room when first seen), by data id. */
const streamed = new WeakSet<object>();
let cachedBytes = 0;

/**
 * Sets how much of the wasm heap packed weight copies may take: a weight's copy is kept when
 * the live tensors, the copies already kept and this one fit in `heapLimitBytes - reserveBytes`;
 * else the weight is packed for each product. Decided once per weight, at its first product.
 * Returns the settings in force.
 */
export function setWasmWeightCache(options: WasmWeightCacheOptions = {}): Required<WasmWeightCacheOptions> {
  if (options.heapLimitBytes !== undefined) settings.heapLimitBytes = options.heapLimitBytes;
  if (options.reserveBytes !== undefined) settings.reserveBytes = options.reserveBytes;
  return { ...settings };
}

/** Bytes of packed weight copies kept now, and how many weights are packed per product. */
export function wasmWeightCacheStats(): { cachedBytes: number; cachedWeights: number } {
  return { cachedBytes, cachedWeights: cached.size };
}

function keepPacked(backend: WasmBackendLike, weight: tf.TensorInfo, bias: tf.TensorInfo | undefined): boolean {
  const key = weight.dataId;
  if (cached.has(key)) return true;
  if (streamed.has(key)) return false;
  for (const [k, bytes] of cached) {
    if (!backend.dataIdMap.has(k)) {
      cached.delete(k);
      cachedBytes -= bytes;
    }
  }
  const [k, n] = weight.shape as [number, number];
  const bytes = 4 * n * (k + 1); // the packed weights and the bias
  const live = tf.memory().numBytes;
  if (live + cachedBytes + bytes <= settings.heapLimitBytes - settings.reserveBytes) {
    cached.set(key, bytes);
    cachedBytes += bytes;
    return true;
  }
  streamed.add(key);
  return false;
}

/** x (M x K) @ weight (K x N) + bias (N), with XNNPACK; see the file comment for the packed copy. */
export function wasmLinear(backend: WasmBackendLike, f: WasmFuncs, x: tf.TensorInfo, weight: tf.TensorInfo, bias: tf.TensorInfo | undefined): tf.TensorInfo {
  const [m, k] = x.shape as [number, number];
  const n = weight.shape[1]!;
  const out = backend.makeOutput([m, n], 'float32');
  const id = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).id;
  const xs = int32Bytes([1, m, k]);
  const ws = int32Bytes([1, k, n]);
  if (keepPacked(backend, weight, bias)) {
    f.fusedMatMul(id(x), xs, 3, id(weight), ws, 3, false, false, 0, bias ? id(bias) : 0, 0, 0, id(out));
    return out;
  }
  const wv = makeView(backend, backend.dataIdMap.get(weight.dataId).memoryOffset, [1, k, n]);
  const bv = bias ? makeView(backend, backend.dataIdMap.get(bias.dataId).memoryOffset, [n]) : undefined;
  try {
    f.fusedMatMul(id(x), xs, 3, wv.id, ws, 3, false, false, 0, bv ? bv.id : 0, 0, 0, id(out));
  } finally {
    dropView(backend, wv);
    if (bv) dropView(backend, bv);
  }
  return out;
}
