import * as tf from '@tensorflow/tfjs-core';

/** SiLU (swish), x · sigmoid(x), as PyTorch's `F.silu`. */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}
