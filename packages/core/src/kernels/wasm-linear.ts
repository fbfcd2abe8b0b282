/**
 * Linear layers on tfjs-backend-wasm 4.22 (`TitokLinear`): x (M x K) · Wᵀ + b with W in
 * PyTorch's out x in layout (N x K), on XNNPACK.
 *
 * Stock tfjs runs a transposed operand in a naive loop (5-10x slower). XNNPACK multiplies by a
 * right operand after packing it into its own layout, and for large right operands the order
 * of its loops re-reads the whole packed operand for every few rows of the left one. So:
 *
 * - small weights (≤ {@link PACKED_WEIGHT_MAX_BYTES}): transposed once, packed by XNNPACK and the
 *   packed copy kept (the transposed copy is freed at once); the product is then x · packed.
 *   The packed copies take heap memory: they are kept while the heap has room (see
 *   {@link setWasmWeightCache}), else the large-weight way is used;
 * - large weights: computed as (W · xᵀ)ᵀ. The weight is XNNPACK's left operand, read in place
 *   (no copy, no packing), and the packed operand is a chunk of xᵀ small enough to stay in
 *   cache. Each chunk's result is transposed into its rows of the output; the bias is added in
 *   place.
 *
 * A weight or bias that changes (a variable assigned) has a new data id and is packed afresh.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allocTemp, dropView, freeTemp, int32Bytes, makeView } from './wasm-backend.js';
import type { WasmBackendLike, WasmFuncs } from './wasm-backend.js';
import { transposeInto } from './wasm-attention.js';

/** The kernel's name in tfjs' registry. */
export const LINEAR_KERNEL = 'TitokLinear';

/** Weights up to this size (bytes) are multiplied through a kept packed copy. */
export const PACKED_WEIGHT_MAX_BYTES = 10 * 2 ** 20;

/** Bytes of the transposed input chunk XNNPACK packs per product in the large-weight way. */
const CHUNK_BYTES = 512 * 1024;

/** Settings of the packed-weight cache ({@link setWasmWeightCache}). */
export interface WasmWeightCacheOptions {
  /** The heap size to stay under, bytes (default 4 GiB, the wasm32 limit). */
  heapLimitBytes?: number;
  /** Room left for activations and everything else, bytes (default 1.5 GiB). */
  reserveBytes?: number;
  /** Largest weight (bytes) multiplied through a packed copy (default 10 MiB); 0 packs none. */
  maxWeightBytes?: number;
}

const settings: Required<WasmWeightCacheOptions> = { heapLimitBytes: 4 * 2 ** 30, reserveBytes: 1.5 * 2 ** 30, maxWeightBytes: PACKED_WEIGHT_MAX_BYTES };

interface Packed {
  /** A tensor id over freed memory: XNNPACK's operator cache holds the packed weights under it. */
  view: { info: tf.TensorInfo; id: number };
  bias: object | undefined;
  bytes: number;
}

/** Kept packed copies, by the weight's data id. */
const packed = new Map<object, Packed>();
let packedBytes = 0;

/**
 * Sets how much of the wasm heap packed weight copies may take: a weight's copy is kept when
 * the live tensors, the copies already kept and this one fit in `heapLimitBytes -
 * reserveBytes`; else the weight is used in place. Returns the settings in force.
 */
export function setWasmWeightCache(options: WasmWeightCacheOptions = {}): Required<WasmWeightCacheOptions> {
  Object.assign(settings, Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
  return { ...settings };
}

/** Bytes and number of packed weight copies kept now. */
export function wasmWeightCacheStats(): { packedBytes: number; packedWeights: number } {
  return { packedBytes, packedWeights: packed.size };
}

function drop(backend: WasmBackendLike, key: object, p: Packed): void {
  dropView(backend, p.view);
  packed.delete(key);
  packedBytes -= p.bytes;
}

/** Frees the packed copies of weights that no longer exist (all of them with `all`). */
export function pruneWasmWeightCache(backend: WasmBackendLike, all = false): void {
  for (const [key, p] of packed) if (all || !backend.dataIdMap.has(key)) drop(backend, key, p);
}

/**
 * The kept packed copy of `weight`, or undefined to use the weight in place. A new copy comes
 * with `source`, the transposed weight XNNPACK packs from at the first product, to be freed
 * right after it.
 */
function packedWeight(
  backend: WasmBackendLike,
  f: WasmFuncs,
  weight: tf.TensorInfo,
  bias: tf.TensorInfo | undefined,
): { p: Packed; source?: ReturnType<typeof allocTemp> } | undefined {
  const key = weight.dataId;
  const known = packed.get(key);
  if (known && known.bias === bias?.dataId) return { p: known };
  if (known) drop(backend, key, known);
  const [n, k] = weight.shape as [number, number];
  if (4 * n * k > settings.maxWeightBytes) return undefined;
  pruneWasmWeightCache(backend);
  const bytes = 4 * n * (k + 1); // XNNPACK packs the bias with the weights
  if (tf.memory().numBytes + packedBytes + bytes > settings.heapLimitBytes - settings.reserveBytes) return undefined;
  const source = allocTemp(backend, [k, n]);
  const we = backend.dataIdMap.get(weight.dataId);
  transposeInto(backend, f, we.id, [n, k], [1, 0], source.id, we.memoryOffset, source.offset);
  const p: Packed = { view: makeView(backend, source.offset, [1, k, n]), bias: bias?.dataId, bytes };
  packed.set(key, p);
  packedBytes += bytes;
  return { p, source };
}

function inPlace(backend: WasmBackendLike, f: WasmFuncs, x: tf.TensorInfo, weight: tf.TensorInfo, out: tf.TensorInfo): void {
  const [m, k] = x.shape as [number, number];
  const n = weight.shape[0]!;
  const chunk = Math.min(m, Math.max(32, Math.floor(CHUNK_BYTES / (4 * k) / 8) * 8));
  const xT = allocTemp(backend, [k, chunk]);
  const yT = allocTemp(backend, [n, chunk]);
  const xe = backend.dataIdMap.get(x.dataId);
  const oe = backend.dataIdMap.get(out.dataId);
  const we = backend.dataIdMap.get(weight.dataId);
  try {
    for (let r0 = 0; r0 < m; r0 += chunk) {
      const mc = Math.min(chunk, m - r0);
      const xv = makeView(backend, xe.memoryOffset + 4 * r0 * k, [mc, k]);
      const bv = makeView(backend, xT.offset, [1, k, mc]);
      const yv = makeView(backend, yT.offset, [1, n, mc]);
      const ov = makeView(backend, oe.memoryOffset + 4 * r0 * n, [mc, n]);
      try {
        transposeInto(backend, f, xv.id, [mc, k], [1, 0], bv.id, xe.memoryOffset + 4 * r0 * k, xT.offset);
        f.batchMatMul(we.id, int32Bytes([1, n, k]), 3, bv.id, int32Bytes([1, k, mc]), 3, false, false, yv.id);
        transposeInto(backend, f, yv.id, [n, mc], [1, 0], ov.id, yT.offset, oe.memoryOffset + 4 * r0 * n);
      } finally {
        for (const v of [xv, bv, yv, ov]) dropView(backend, v);
      }
    }
  } finally {
    freeTemp(backend, xT);
    freeTemp(backend, yT);
  }
}

/** x (M x K) · weightᵀ (weight N x K) + bias (N). */
export function wasmLinear(backend: WasmBackendLike, f: WasmFuncs, x: tf.TensorInfo, weight: tf.TensorInfo, bias: tf.TensorInfo | undefined): tf.TensorInfo {
  const [m, k] = x.shape as [number, number];
  const n = weight.shape[0]!;
  const out = backend.makeOutput([m, n], 'float32');
  const id = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).id;
  const kept = packedWeight(backend, f, weight, bias);
  if (kept) {
    try {
      f.fusedMatMul(id(x), int32Bytes([1, m, k]), 3, kept.p.view.id, int32Bytes([1, k, n]), 3, false, false, 0, bias ? id(bias) : 0, 0, 0, id(out));
    } finally {
      // XNNPACK has packed it (its operator is cached under the view's id): the copy can go.
      if (kept.source) freeTemp(backend, kept.source);
    }
    return out;
  }
  inPlace(backend, f, x, weight, out);
  if (bias) f.add(id(out), int32Bytes([m, n]), 2, id(bias), int32Bytes([n]), 1, 0, id(out));
  return out;
}
