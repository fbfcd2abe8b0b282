/**
 * GroupNorm on channels-last float32 tensors as one wasm-heap kernel (`TitokGroupNorm`).
 *
 * Stock tfjs needs ~8 passes over the tensor, and tfjs-backend-wasm's mean over non-innermost
 * axes transposes the whole tensor first: ~150 ms for a 256x256x128 map. Here one pass
 * accumulates per-channel sums and sums of squares (in float64), and a second writes
 * x·scale[c] + shift[c] with scale = weight·rstd(group), shift = bias − mean(group)·scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapF32 } from './wasm-backend.js';
import type { WasmBackendLike } from './wasm-backend.js';

/** The kernel's name in tfjs' registry. */
export const GROUP_NORM_KERNEL = 'TitokGroupNorm';

/**
 * x: N x ... x C; gamma, beta: C. Channels split into `numGroups` contiguous groups; biased
 * variance; eps added to it.
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
        shift[ch] = b[ch]! - mean * scale[ch]!;
      }
    }
    for (let p = 0; p < spatial; p++) {
      const row = base + p * c;
      for (let ch = 0; ch < c; ch++) ys[row + ch] = xs[row + ch]! * scale[ch]! + shift[ch]!;
    }
  }
  return out;
}
