import * as tf from '@tensorflow/tfjs-core';
import { runFastKernel } from '../kernels/fast-kernels.js';
import { LINEAR_KERNEL } from '../kernels/wasm-linear.js';

/**
 * A 2D weight transposed (out x in to in x out, or back). On the CPU backend the data is already
 * on the host and tfjs-backend-cpu transposes element by element with index arithmetic (about
 * 1 µs a value: minutes for a released model), so it is done here in a plain loop instead.
 */
export function transposeWeight2d(value: tf.Tensor): tf.Tensor2D {
  if (tf.getBackend() !== 'cpu') return tf.transpose(value as tf.Tensor2D);
  const [rows, cols] = value.shape as [number, number];
  const src = value.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[base + c]!;
  }
  return tf.tensor2d(dst, [cols, rows], 'float32');
}

/**
 * x (M x K) times a weight stored in x out (K x N), plus an optional bias (N): one matrix
 * product with the bias fused. Stored this way (not PyTorch's out x in with transposeB),
 * tfjs-backend-wasm 4.22 runs it with XNNPACK, which packs the weight once and caches it,
 * instead of a naive loop 5-10x slower; its `_FusedMatMul` also adds the bias correctly only
 * without transposes. On wasm (inference) the `TitokLinear` kernel also bounds the memory
 * that XNNPACK's packed weight copies take (see `setWasmWeightCache`).
 */
export function matMulWeight(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  const fast = runFastKernel<tf.Tensor2D>(LINEAR_KERNEL, bias ? { x, weight, bias } : { x, weight }, {});
  if (fast) return fast;
  return (bias ? tf.fused.matMul({ a: x, b: weight, bias }) : tf.matMul(x, weight)) as tf.Tensor2D;
}
