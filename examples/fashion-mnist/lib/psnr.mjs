/** How the example measures reconstructions: test pictures in, 8-bit pictures out, PSNR. */
import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize } from '@titok/core';

/** Test pictures [s, s + n) as RGB int32 0..255 (grey repeated), n x S x S x 3. */
export function testRgb(test, s, n) {
  const S = test.height;
  return tf.tidy(() => tf.tile(tf.tensor4d(test.pixels.subarray(s * S * S, (s + n) * S * S), [n, S, S, 1], 'int32'), [1, 1, 1, 3]));
}

/**
 * A training `TitokModel`'s reconstruction of {@link testRgb} pictures as `titok reconstruct`
 * writes them: clipped to [0, 1], truncated to 8 bits (int32).
 */
export function reconstructUint8(model, x) {
  return tf.tidy(() => toUint8(model.reconstruct(tf.div(x, 255))));
}

/** Pictures in [0, 1] (float) as `titok reconstruct` writes them: clipped, truncated to 8 bits (int32). */
const toUint8 = (y) => tf.cast(tf.mul(tf.clipByValue(y, 0, 1), 255), 'int32');

/**
 * Like {@link reconstructUint8}, but decoding the encoder's (l2-normalised, if the model's
 * quantiser normalises) vectors themselves instead of their codes: for a tokenizer trained with
 * `continuous: true`.
 */
export function reconstructContinuousUint8(model, x) {
  return tf.tidy(() => {
    const latents = model.encodeLatents(tf.div(x, 255));
    const z = model.quantizer.useL2Norm ? l2Normalize(latents) : latents;
    return toUint8(model.decodeLatents(z));
  });
}

/** Sum of squared differences of two 8-bit pictures' values (exact: integers in a double). */
function sumSquares(a, b) {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se;
}

/**
 * PSNR in dB over the first `n` test pictures of `reconstruct` (x → 8-bit picture, a tensor or
 * a promise of one), 500 at a time.
 */
export async function testPsnr(test, n, reconstruct) {
  return psnrDb(await testSquaredError(test, n, reconstruct), n * test.height * test.width * 3);
}

/**
 * Sum of squared 8-bit errors over the first `n` test pictures of `reconstruct`, 500 at a time;
 * with `parts`, only the batches of one `part` (batch number modulo `parts`), so that threads can
 * share the work and add their sums.
 */
export async function testSquaredError(test, n, reconstruct, { part = 0, parts = 1 } = {}) {
  let se = 0;
  for (let s = 0, b = 0; s < n; s += 500, b++) {
    if (b % parts !== part) continue;
    const x = testRgb(test, s, Math.min(500, n - s));
    const y = await reconstruct(x);
    se += sumSquares(await x.data(), await y.data());
    tf.dispose([x, y]);
  }
  return se;
}

/** PSNR in dB of 8-bit values from a sum of squared errors over `count` values. */
export const psnrDb = (sumSquares, count) => 10 * Math.log10((255 * 255) / (sumSquares / count));
