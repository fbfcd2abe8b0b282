import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@titok/core';

/**
 * A training set of small images kept as bytes: `count` images of `height` x `width` pixels with
 * 1 (grey) or 3 (RGB) channels, row-major, image after image. Grey images become RGB (the value
 * repeated) when a batch is made.
 */
export interface TrainingImages {
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

/**
 * Checks a {@link TrainingImages}.
 *
 * @throws InputError when the byte count does not match the sizes
 */
export function checkTrainingImages(images: TrainingImages): void {
  const { count, height, width, channels, pixels } = images;
  if (channels !== 1 && channels !== 3) throw new InputError(`training images must have 1 or 3 channels, got ${channels}`);
  if (pixels.length !== count * height * width * channels) {
    throw new InputError(`training images: ${pixels.length} bytes for ${count} images of ${height}x${width}x${channels}`);
  }
}

/** Images `indices` as a float32 NHWC RGB batch in [0, 1] (values / 255). */
export function imageBatch(images: TrainingImages, indices: ArrayLike<number>): tf.Tensor4D {
  const { height: h, width: w, channels: c, pixels } = images;
  const per = h * w;
  const out = new Float32Array(indices.length * per * 3);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    if (!(i >= 0 && i < images.count)) throw new InputError(`image index ${i} is outside 0..${images.count - 1}`);
    const src = i * per * c;
    const dst = b * per * 3;
    for (let p = 0; p < per; p++) {
      for (let k = 0; k < 3; k++) out[dst + p * 3 + k] = pixels[src + p * c + (c === 1 ? 0 : k)]! / 255;
    }
  }
  return tf.tensor4d(out, [indices.length, h, w, 3], 'float32');
}
