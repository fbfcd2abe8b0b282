import * as tf from '@tensorflow/tfjs-core';

/**
 * The value of `x` with no gradient flowing back into it (PyTorch's `x.detach()`): inside
 * `tf.variableGrads` / `tf.grads`, whatever produced `x` receives zeros from this path.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((a: tf.Tensor) => ({ value: tf.clone(a), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/**
 * The straight-through estimator of VQ training, `z + detach(q − z)`: the forward value is the
 * quantised `q`, the gradient goes to `z` unchanged (as if quantisation were the identity) and
 * nothing reaches `q`. Both must have the same shape.
 */
export function straightThrough<T extends tf.Tensor>(z: T, q: tf.Tensor): T {
  const f = tf.customGrad(((a: tf.Tensor, b: tf.Tensor) => ({
    value: tf.clone(b),
    gradFunc: (dy: tf.Tensor) => [tf.clone(dy), tf.zerosLike(dy)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(z, q) as T;
}
