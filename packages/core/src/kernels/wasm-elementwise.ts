/**
 * Element-wise kernels on the wasm heap with titok-js' SIMD module: GELU (`TitokGelu`), SiLU
 * (`TitokSilu`) and LayerNorm (`TitokLayerNorm`), each one pass (LayerNorm: two over each row)
 * instead of tfjs' 4-8 separate ops.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SimdKernels } from './simd-kernels.js';
import type { WasmBackendLike } from './wasm-backend.js';

export const GELU_KERNEL = 'TitokGelu';
export const SILU_KERNEL = 'TitokSilu';
export const LAYER_NORM_KERNEL = 'TitokLayerNorm';

const offset = (backend: WasmBackendLike, t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** y = f(x) for f = GELU or SiLU. */
export function wasmUnary(backend: WasmBackendLike, simd: SimdKernels, x: tf.TensorInfo, op: 'gelu' | 'silu'): tf.TensorInfo {
  const out = backend.makeOutput([...x.shape], 'float32');
  simd[op](offset(backend, x), offset(backend, out), size(x.shape));
  return out;
}

/** LayerNorm over the last axis with weight and bias, biased variance, eps added to it. */
export function wasmLayerNorm(backend: WasmBackendLike, simd: SimdKernels, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, eps: number): tf.TensorInfo {
  const dim = x.shape[x.shape.length - 1]!;
  const out = backend.makeOutput([...x.shape], 'float32');
  simd.layer_norm(offset(backend, x), offset(backend, gamma), offset(backend, beta), offset(backend, out), size(x.shape) / dim, dim, eps);
  return out;
}
