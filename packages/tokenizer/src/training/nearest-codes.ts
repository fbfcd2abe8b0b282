import * as tf from '@tensorflow/tfjs-core';
import type { VectorQuantizer } from '@titok/core';

/** What {@link nearestCodes} returns. */
export interface NearestCodes {
  /** The chosen rows, M x C; their gradient reaches the codebook (not z). */
  rows: tf.Tensor2D;
  /** Index of each row, int32 M (kept: dispose it). */
  indices: tf.Tensor1D;
}

/**
 * Vector quantisation for the gradient tape: for each row of z (M x C) the nearest row of
 * `codebook` (K x C), by the quantizer's own distance, as one custom-gradient op. Its gradient
 * goes to the codebook only (scattered back to the chosen rows); z gets none, and the integer
 * indices never enter the tape (tfjs would ask them for a float gradient).
 */
export function nearestCodes(quantizer: VectorQuantizer, z: tf.Tensor2D, codebook: tf.Tensor2D): NearestCodes {
  let indices: tf.Tensor1D | undefined;
  const k = codebook.shape[0];
  const op = tf.customGrad(((zIn: tf.Tensor2D, cb: tf.Tensor2D, save: (t: tf.Tensor[]) => void) => {
    const idx = tf.argMin(quantizer.distances(zIn, cb), 1) as tf.Tensor1D;
    indices = tf.keep(tf.clone(idx));
    save([idx]);
    return {
      value: tf.gather(cb, idx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.zerosLike(zIn), tf.unsortedSegmentSum(dy, saved[0] as tf.Tensor1D, k)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const rows = op(z, codebook) as tf.Tensor2D;
  return { rows, indices: indices! };
}
