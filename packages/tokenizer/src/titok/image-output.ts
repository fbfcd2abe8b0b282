import * as tf from '@tensorflow/tfjs-core';
import { toUint8Images } from '../image/index.js';

/** How decoded images are returned: float in [0, 1], or integers 0..255 ('uint8', int32 dtype). */
export type ImageOutput = 'float' | 'uint8';

/**
 * Turns a decoder's raw N x H x W x 3 output into images: clamped to [0, 1] ('float') or, as
 * the reference demo does, clamped, times 255 and truncated ('uint8'; tfjs has no uint8
 * dtype, so the tensor is int32 with values 0..255).
 */
export function finishImages(x: tf.Tensor4D, output: ImageOutput = 'float'): tf.Tensor4D {
  return output === 'uint8' ? toUint8Images(x) : tf.clipByValue(x, 0, 1);
}
