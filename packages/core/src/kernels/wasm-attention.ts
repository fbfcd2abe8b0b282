/**
 * Multi-head self-attention as one wasm kernel (`TitokAttention`), for tfjs-backend-wasm 4.22.
 *
 * Stock tfjs runs attention's batched products (one pair of matrices per image and head, the
 * scores with a transposed operand) in tfjs-backend-wasm's naive loop, and splitting q|k|v and
 * the heads costs several copies. Here the packed projection is rearranged head-major with one
 * transpose, each (image, head) product runs on XNNPACK through tensor ids registered over
 * slices of that memory (no copies), and the softmax is the stock wasm one. No gradient: the
 * caller uses stock ops while gradients are recorded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allocTemp, dropView, freeTemp, heapF32, int32Bytes, makeView } from './wasm-backend.js';
import type { WasmBackendLike, WasmFuncs } from './wasm-backend.js';
import type { SimdKernels } from './simd-kernels.js';

/**
 * Sequences up to this length run in titok-js' SIMD attention (one pass per query, no per-head
 * products to set up); longer ones through XNNPACK products, which use the thread pool.
 */
export let SIMD_ATTENTION_MAX_TOKENS = 192;

/** Sets {@link SIMD_ATTENTION_MAX_TOKENS} (0: always XNNPACK products); returns the previous value. */
export function setSimdAttentionMaxTokens(n: number): number {
  const was = SIMD_ATTENTION_MAX_TOKENS;
  SIMD_ATTENTION_MAX_TOKENS = n;
  return was;
}

/**
 * The SIMD attention: reads q, k, v in place (rows of `stride` floats, q | k | v packed or three
 * tensors) and writes the heads' contexts side by side into a new N x T x D tensor.
 */
export function simdAttention(
  backend: WasmBackendLike,
  simd: SimdKernels,
  parts: { q: number; k: number; v: number; stride: number },
  n: number,
  t: number,
  d: number,
  numHeads: number,
): tf.TensorInfo {
  const dh = d / numHeads;
  const out = backend.makeOutput([n, t, d], 'float32');
  const scores = allocTemp(backend, [t + 4]);
  try {
    const o = backend.dataIdMap.get(out.dataId).memoryOffset;
    simd.attention(parts.q, parts.k, parts.v, parts.stride, o, d, n, t, numHeads, dh, Math.fround(1 / Math.sqrt(dh)), scores.offset);
  } finally {
    freeTemp(backend, scores);
  }
  return out;
}

/** The kernel's name in tfjs' registry. */
export const ATTENTION_KERNEL = 'TitokAttention';

const F32 = 0;

/**
 * Transposes float32 tensor `xId` of `shape` by `perm` into `outId`, as tfjs' Transpose kernel
 * calls its C function: axes of size 1 removed first.
 */
export function transposeInto(backend: WasmBackendLike, f: WasmFuncs, xId: number, shape: number[], perm: number[], outId: number, xOffset: number, outOffset: number): void {
  const keep = shape.map((d, i) => (d !== 1 ? i : -1)).filter((i) => i >= 0);
  const newShape = keep.map((i) => shape[i]!);
  const kept = perm.filter((a) => shape[a] !== 1);
  const rank = [...kept].sort((a, b) => a - b);
  const newPerm = kept.map((a) => rank.indexOf(a));
  if (newPerm.every((a, i) => a === i)) {
    const n = shape.reduce((a, b) => a * b, 1);
    backend.wasm.HEAPU8.copyWithin(outOffset, xOffset, xOffset + 4 * n);
    return;
  }
  f.transpose(xId, int32Bytes(newShape), newShape.length, F32, outId, int32Bytes(newPerm), newPerm.length);
}

/** out[p] = a[p] (m x k) @ b[p] (k x n) for p < pairs, each on XNNPACK; all float32 heap offsets. */
export function pairwiseMatMul(backend: WasmBackendLike, f: WasmFuncs, pairs: number, m: number, k: number, n: number, a: number, b: number, out: number): void {
  const as = int32Bytes([1, m, k]);
  const bs = int32Bytes([1, k, n]);
  for (let p = 0; p < pairs; p++) {
    const va = makeView(backend, a + 4 * p * m * k, [1, m, k]);
    const vb = makeView(backend, b + 4 * p * k * n, [1, k, n]);
    const vo = makeView(backend, out + 4 * p * m * n, [1, m, n]);
    try {
      f.batchMatMul(va.id, as, 3, vb.id, bs, 3, false, false, vo.id);
    } finally {
      dropView(backend, va);
      dropView(backend, vb);
      dropView(backend, vo);
    }
  }
}

/**
 * The kernel: `qkv` N x T x 3D (q | k | v, each with the heads' features contiguous, as
 * PyTorch's MultiheadAttention and U-ViT pack them) to the heads' context N x T x D. Image by
 * image (tfjs-backend-wasm's transposes of rank 5 are ~100x slower than those of rank 4): q|k|v
 * to head-major [3, H, T, dh], the keys transposed to [H, dh, T], then per head the score and
 * context products on XNNPACK, the softmax of all scores at once, and one transpose back.
 */
export function wasmAttention(backend: WasmBackendLike, f: WasmFuncs, qkv: tf.TensorInfo, numHeads: number): tf.TensorInfo {
  const [n, t, d3] = qkv.shape as [number, number, number];
  const d = d3 / 3;
  const h = numHeads;
  const dh = d / h;
  const pairs = n * h;
  const block = h * t * dh; // one image's q (or k, or v), head-major
  const src = backend.dataIdMap.get(qkv.dataId);
  const heads = allocTemp(backend, [n, 3, h, t, dh]);
  const temps = [heads];
  try {
    const kT = allocTemp(backend, [pairs, dh, t]);
    temps.push(kT);
    const scale = Math.fround(1 / Math.sqrt(dh));
    for (let b = 0; b < n; b++) {
      const inOff = src.memoryOffset + 4 * b * t * d3;
      const headsOff = heads.offset + 4 * b * 3 * block;
      const xv = makeView(backend, inOff, [t, 3, h, dh]);
      const hv = makeView(backend, headsOff, [3, h, t, dh]);
      const kv = makeView(backend, headsOff + 4 * block, [h, t, dh]);
      const tv = makeView(backend, kT.offset + 4 * b * block, [h, dh, t]);
      try {
        transposeInto(backend, f, xv.id, [t, 3, h, dh], [1, 2, 0, 3], hv.id, inOff, headsOff);
        // q / sqrt(dh), as PyTorch scales the queries before the product (float32 products: exact in double, then rounded)
        const q = heapF32(backend, headsOff, block);
        for (let i = 0; i < block; i++) q[i] = q[i]! * scale;
        transposeInto(backend, f, kv.id, [h, t, dh], [0, 2, 1], tv.id, headsOff + 4 * block, kT.offset + 4 * b * block);
      } finally {
        for (const v of [xv, hv, kv, tv]) dropView(backend, v);
      }
    }
    const scores = allocTemp(backend, [pairs, t, t]);
    temps.push(scores);
    const probs = allocTemp(backend, [pairs, t, t]);
    temps.push(probs);
    const ctx = allocTemp(backend, [n, h, t, dh]);
    temps.push(ctx);
    for (let b = 0; b < n; b++) {
      const headsOff = heads.offset + 4 * b * 3 * block;
      pairwiseMatMul(backend, f, h, t, dh, t, headsOff, kT.offset + 4 * b * block, scores.offset + 4 * b * h * t * t);
    }
    f.softmax(scores.id, probs.id, t, pairs * t);
    for (let b = 0; b < n; b++) {
      const headsOff = heads.offset + 4 * b * 3 * block;
      pairwiseMatMul(backend, f, h, t, t, dh, probs.offset + 4 * b * h * t * t, headsOff + 8 * block, ctx.offset + 4 * b * block);
    }
    const out = backend.makeOutput([n, t, d], 'float32');
    const o = backend.dataIdMap.get(out.dataId);
    for (let b = 0; b < n; b++) {
      const cv = makeView(backend, ctx.offset + 4 * b * block, [h, t, dh]);
      const ov = makeView(backend, o.memoryOffset + 4 * b * t * d, [t, h, dh]);
      try {
        transposeInto(backend, f, cv.id, [h, t, dh], [1, 0, 2], ov.id, ctx.offset + 4 * b * block, o.memoryOffset + 4 * b * t * d);
      } finally {
        dropView(backend, cv);
        dropView(backend, ov);
      }
    }
    return out;
  } finally {
    for (const tmp of temps) freeTemp(backend, tmp);
  }
}
