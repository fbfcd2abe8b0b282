import * as tf from '@tensorflow/tfjs-core';
import { runFastKernel } from '../kernels/fast-kernels.js';
import { LINEAR_KERNEL } from '../kernels/wasm-linear.js';

/**
 * x (M x K) times a weight in PyTorch's out x in layout (N x K), transposed, plus an optional
 * bias (N): PyTorch's `F.linear`. On tfjs-backend-wasm (inference) this is titok-js'
 * `TitokLinear` kernel, which runs it on XNNPACK without tfjs' slow transposed-operand loop and
 * within the heap (see `setWasmWeightCache`); elsewhere a matrix product with `transposeB` and
 * an add (not `tf.fused.matMul`: with transposeB and a bias, tfjs-backend-wasm 4.22 adds the
 * bias twice).
 */
export function linearProduct(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  const fast = runFastKernel<tf.Tensor2D>(LINEAR_KERNEL, bias ? { x, weight, bias } : { x, weight }, {});
  if (fast) return fast;
  return tf.tidy(() => {
    const xw = tf.matMul(x, weight, false, true);
    return (bias ? tf.add(xw, bias) : xw) as tf.Tensor2D;
  });
}

/**
 * x (M x K) times a weight stored in x out (K x N), plus an optional bias (N), with the bias
 * fused: for weights that are already in that layout (convolution kernels reshaped). Without a
 * transposed operand tfjs-backend-wasm runs it on XNNPACK, which packs the weight once.
 */
export function matMulWeight(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  return (bias ? tf.fused.matMul({ a: x, b: weight, bias }) : tf.matMul(x, weight)) as tf.Tensor2D;
}
