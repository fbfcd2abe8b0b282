/**
 * GroupNorm on channels-last float32 tensors as one wasm-heap kernel (`TitokGroupNorm`).
 *
 * Stock tfjs needs ~8 passes over the tensor, and tfjs-backend-wasm's mean over non-innermost
 * axes transposes the whole tensor first: ~150 ms for a 256x256x128 map. Here one pass
 * accumulates per-channel sums and sums of squares (in float64), and a second writes
 * x·scale[c] + shift[c] with scale = weight·rstd(group), shift = bias − mean(group)·scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allocTemp, freeTemp, heapF32 } from './wasm-backend.js';
import type { WasmBackendLike } from './wasm-backend.js';
import type { SimdKernels } from './simd-kernels.js';

/** The kernel's name in tfjs' registry. */
export const GROUP_NORM_KERNEL = 'TitokGroupNorm';

/** Per-channel scale and shift from per-channel sums and sums of squares (float64). */
function scaleShift(sum: Float64Array, sq: Float64Array, w: Float32Array, b: Float32Array, numGroups: number, count: number, eps: number, scale: Float32Array | Float64Array, shift: Float32Array | Float64Array): void {
  const cg = w.length / numGroups;
  for (let g = 0; g < numGroups; g++) {
    let gs = 0;
    let gq = 0;
    for (let ch = g * cg; ch < (g + 1) * cg; ch++) {
      gs += sum[ch]!;
      gq += sq[ch]!;
    }
    const mean = gs / count;
    const variance = Math.max(0, gq / count - mean * mean);
    const rstd = 1 / Math.sqrt(variance + eps);
    for (let ch = g * cg; ch < (g + 1) * cg; ch++) {
      scale[ch] = w[ch]! * rstd;
      shift[ch] = b[ch]! - mean * w[ch]! * rstd;
    }
  }
}

/**
 * GroupNorm (then SiLU with `silu`) with the SIMD module: one pass for the per-channel sums
 * (float partial sums over 64 positions, float64 totals), one for x·scale + shift. Channels must
 * be a multiple of 4.
 */
export function simdGroupNorm(
  backend: WasmBackendLike,
  simd: SimdKernels,
  x: tf.TensorInfo,
  gamma: tf.TensorInfo,
  beta: tf.TensorInfo,
  numGroups: number,
  eps: number,
  silu: boolean,
): tf.TensorInfo {
  const shape = x.shape;
  const n = shape[0]!;
  const c = shape[shape.length - 1]!;
  const spatial = shape.reduce((a, b) => a * b, 1) / (n * c);
  const out = backend.makeOutput([...shape], 'float32');
  const tmp = allocTemp(backend, [6 * c]); // 2c doubles, then scale and shift
  try {
    const xo = backend.dataIdMap.get(x.dataId).memoryOffset;
    const oo = backend.dataIdMap.get(out.dataId).memoryOffset;
    const go = backend.dataIdMap.get(gamma.dataId).memoryOffset;
    const bo = backend.dataIdMap.get(beta.dataId).memoryOffset;
    for (let s = 0; s < n; s++) {
      const sums = new Float64Array(backend.wasm.HEAPU8.buffer, tmp.offset, 2 * c);
      sums.fill(0);
      simd.channel_sums(xo + 4 * s * spatial * c, spatial, c, tmp.offset);
      const heap = backend.wasm.HEAPU8.buffer;
      const sumsNow = new Float64Array(heap, tmp.offset, 2 * c);
      const scale = new Float32Array(heap, tmp.offset + 16 * c, c);
      const shift = new Float32Array(heap, tmp.offset + 20 * c, c);
      scaleShift(sumsNow.subarray(0, c), sumsNow.subarray(c), heapF32(backend, go, c), heapF32(backend, bo, c), numGroups, spatial * (c / numGroups), eps, scale, shift);
      simd.scale_shift(xo + 4 * s * spatial * c, tmp.offset + 16 * c, tmp.offset + 20 * c, oo + 4 * s * spatial * c, spatial, c, silu ? 1 : 0);
    }
  } finally {
    freeTemp(backend, tmp);
  }
  return out;
}

/**
 * x: N x ... x C; gamma, beta: C. Channels split into `numGroups` contiguous groups; biased
 * variance; eps added to it. (Plain JavaScript: where the SIMD module is not available.)
 */
export function wasmGroupNorm(backend: WasmBackendLike, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, numGroups: number, eps: number): tf.TensorInfo {
  const shape = x.shape;
  const n = shape[0]!;
  const c = shape[shape.length - 1]!;
  const total = shape.reduce((a, b) => a * b, 1);
  const spatial = total / (n * c);
  const cg = c / numGroups;
  const out = backend.makeOutput([...shape], 'float32');
  // offsets first: makeOutput may grow the heap and detach earlier views
  const xo = backend.dataIdMap.get(x.dataId).memoryOffset;
  const oo = backend.dataIdMap.get(out.dataId).memoryOffset;
  const go = backend.dataIdMap.get(gamma.dataId).memoryOffset;
  const bo = backend.dataIdMap.get(beta.dataId).memoryOffset;
  const xs = heapF32(backend, xo, total);
  const ys = heapF32(backend, oo, total);
  const w = heapF32(backend, go, c);
  const b = heapF32(backend, bo, c);
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  const count = spatial * cg;
  for (let s = 0; s < n; s++) {
    const base = s * spatial * c;
    sum.fill(0);
    sq.fill(0);
    for (let p = 0; p < spatial; p++) {
      const row = base + p * c;
      for (let ch = 0; ch < c; ch++) {
        const v = xs[row + ch]!;
        sum[ch] += v;
        sq[ch] += v * v;
      }
    }
    scaleShift(sum, sq, w, b, numGroups, count, eps, scale, shift);
    for (let p = 0; p < spatial; p++) {
      const row = base + p * c;
      for (let ch = 0; ch < c; ch++) ys[row + ch] = xs[row + ch]! * scale[ch]! + shift[ch]!;
    }
  }
  return out;
}
