import * as tf from '@tensorflow/tfjs-core';

/**
 * Depth-to-space of an NHWC map with channel order (p1, p2, c), the einops rearrangement
 * `b (p1 p2 c) h w -> b c (h p1) (w p2)` of TiTok's direct-RGB head: channel
 * (p1·p + p2)·C + c of cell (h, w) goes to pixel (h·p + p1, w·p + p2), colour c.
 * N x g x g x (p·p·C) becomes N x gp x gp x C. This is TensorFlow's DepthToSpace order.
 */
export function depthToSpace(x: tf.Tensor4D, blockSize: number): tf.Tensor4D {
  return tf.depthToSpace(x, blockSize, 'NHWC');
}
