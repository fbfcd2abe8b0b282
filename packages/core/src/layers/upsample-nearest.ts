import * as tf from '@tensorflow/tfjs-core';

/**
 * Nearest-neighbour upsampling of an NHWC map by an integer factor, as PyTorch's
 * `F.interpolate(x, scale_factor=f, mode="nearest")`: output pixel (y, x) copies input pixel
 * (floor(y / f), floor(x / f)).
 */
export function upsampleNearest(x: tf.Tensor4D, factor = 2): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [h * factor, w * factor], false, false);
}
