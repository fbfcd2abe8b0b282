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

/**
 * The rotation trick of Fifty et al. (2025, "Restructuring Vector Quantization with the Rotation
 * Trick"), an alternative to {@link straightThrough}: the forward value is `q`, and the gradient
 * reaching `z` is the decoder's gradient turned by the rotation that takes the direction of `z` to
 * that of `q` (and scaled by ‖q‖/‖z‖), rotation and scale held constant. So a vector's gradient
 * depends on where it sits relative to its code instead of being copied unchanged. `z` and `q` are
 * N x C (one vector a row); nothing reaches `q`.
 */
export function rotationTrick<T extends tf.Tensor2D>(z: T, q: tf.Tensor2D): T {
  const eps = 1e-6;
  const unit = (x: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] => {
    const norm = tf.add(tf.norm(x, 'euclidean', 1, true), eps) as tf.Tensor2D;
    return [tf.div(x, norm), norm];
  };
  // The inputs are saved: the tape frees intermediate tensors before the backward pass.
  const f = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: tf.clone(b),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor2D[]) =>
        tf.tidy(() => {
          const [u, aNorm] = unit(saved[0]!);
          const [v, bNorm] = unit(saved[1]!);
          const [r] = unit(tf.add(u, v));
          // Rᵀ·dy with R = I − 2rrᵀ + 2vuᵀ (R·u = v): dy − 2r(r·dy) + 2u(v·dy).
          const rDy = tf.sum(tf.mul(r, dy), 1, true);
          const vDy = tf.sum(tf.mul(v, dy), 1, true);
          const turned = tf.add(tf.sub(dy, tf.mul(r, tf.mul(rDy, 2))), tf.mul(u, tf.mul(vDy, 2)));
          return [tf.mul(turned, tf.div(bNorm, aNorm)), tf.zerosLike(dy)];
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(z, q) as T;
}
