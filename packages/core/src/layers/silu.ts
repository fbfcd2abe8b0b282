import * as tf from '@tensorflow/tfjs-core';
import { runFastKernel } from '../kernels/fast-kernels.js';
import { SILU_KERNEL } from '../kernels/wasm-elementwise.js';

/** SiLU (swish), x · sigmoid(x), as PyTorch's `F.silu` (one SIMD pass on tfjs-backend-wasm). */
export function silu(x: tf.Tensor): tf.Tensor {
  const fast = runFastKernel(SILU_KERNEL, { x }, {});
  if (fast) return fast;
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}
