import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@titok/core';

/**
 * Token ids: an int32 (or integer-valued float) tensor N x L, L (one image) or N x 1 x L (the
 * reference's layout), a nested array N x L, a flat array of L ids, or an Int32Array of N·L ids.
 */
export type TokenIdsInput = tf.Tensor | number[] | number[][] | Int32Array;

/**
 * Continuous (VAE) tokens: a float tensor N x L x C (token-major), L x C (one image) or
 * N x C x 1 x L (the reference's layout), or a nested array N x L x C.
 */
export type LatentTokensInput = tf.Tensor | number[][][];

async function idsToArray(input: TokenIdsInput, numTokens: number): Promise<{ data: ArrayLike<number>; shape: number[] }> {
  if (input instanceof tf.Tensor) {
    if (input.isDisposed) throw new InputError('tokens: the tensor has been disposed');
    const s = input.shape;
    if (s.length === 3 && s[1] !== 1) throw new InputError(`tokens must be N x L, L or N x 1 x L, got shape [${s.join(', ')}]`);
    if (s.length < 1 || s.length > 3) throw new InputError(`tokens must be N x L, L or N x 1 x L, got shape [${s.join(', ')}]`);
    const n = s.length === 1 ? 1 : s[0]!;
    return { data: await input.data(), shape: [n, s[s.length - 1]!] };
  }
  if (input instanceof Int32Array) {
    if (input.length === 0 || input.length % numTokens !== 0) {
      throw new InputError(`tokens: ${input.length} ids is not a whole number of images of ${numTokens} tokens`);
    }
    return { data: input, shape: [input.length / numTokens, numTokens] };
  }
  if (!Array.isArray(input)) throw new InputError(`tokens must be a tensor, an Int32Array or an array of ids, got ${typeof input}`);
  if (input.length > 0 && Array.isArray(input[0])) {
    const rows = input as unknown[];
    const len = (rows[0] as unknown[]).length;
    for (const [i, r] of rows.entries()) {
      if (!Array.isArray(r)) throw new InputError(`tokens: image ${i} is not an array of ids`);
      if (r.length !== len) throw new InputError(`tokens: image ${i} has ${r.length} tokens, image 0 has ${len}`);
    }
    return { data: (rows as number[][]).flat(), shape: [rows.length, len] };
  }
  return { data: input as number[], shape: [1, input.length] };
}

/**
 * Validates token ids and returns them as an int32 N x L tensor.
 *
 * @throws InputError for the wrong number of tokens, an empty batch, a non-integer id or an id
 *   outside [0, codebookSize)
 */
export async function toTokenIds(input: TokenIdsInput, numTokens: number, codebookSize: number): Promise<tf.Tensor2D> {
  const { data, shape } = await idsToArray(input, numTokens);
  const [n, l] = shape as [number, number];
  if (n === 0) throw new InputError('tokens: the batch is empty');
  if (l !== numTokens) throw new InputError(`this model takes ${numTokens} tokens per image, got ${l}`);
  const ids = new Int32Array(n * l);
  for (let i = 0; i < ids.length; i++) {
    const v = data[i] as number;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= codebookSize) {
      throw new InputError(
        `token ${i % l} of image ${Math.floor(i / l)} is ${String(v)}, not an id in [0, ${codebookSize}) (the codebook has ${codebookSize} entries)`,
      );
    }
    ids[i] = v;
  }
  return tf.tensor2d(ids, [n, l], 'int32');
}

/**
 * Validates continuous tokens and returns them as a float32 N x L x C tensor.
 *
 * @throws InputError for the wrong number of tokens or channels, an empty batch or non-finite values
 */
export async function toLatentTokens(input: LatentTokensInput, numTokens: number, channels: number): Promise<tf.Tensor3D> {
  let t: tf.Tensor;
  if (input instanceof tf.Tensor) {
    if (input.isDisposed) throw new InputError('tokens: the tensor has been disposed');
    t = input;
  } else if (Array.isArray(input)) {
    try {
      t = tf.tensor(input as number[][][], undefined, 'float32');
    } catch (e) {
      throw new InputError(`tokens: not a regular N x L x C array (${(e as Error).message})`);
    }
  } else {
    throw new InputError(`continuous tokens must be a tensor or an N x L x C array, got ${typeof input}`);
  }
  try {
    const s = t.shape;
    let nlc: number[];
    if (s.length === 2) nlc = [1, s[0]!, s[1]!];
    else if (s.length === 3) nlc = [...s];
    else if (s.length === 4 && s[2] === 1) nlc = [s[0]!, s[3]!, s[1]!];
    else throw new InputError(`continuous tokens must be N x L x C, L x C or N x C x 1 x L, got shape [${s.join(', ')}]`);
    const [n, l, c] = nlc as [number, number, number];
    if (n === 0) throw new InputError('tokens: the batch is empty');
    if (l !== numTokens) throw new InputError(`this model takes ${numTokens} tokens per image, got ${l}`);
    if (c !== channels) throw new InputError(`this model's tokens have ${channels} channels, got ${c}`);
    const data = await t.data();
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new InputError(`tokens: value ${data[i]} at index ${i} is not finite`);
    }
    return tf.tidy(() => {
      const f = tf.cast(t, 'float32');
      return (s.length === 4 ? tf.transpose(tf.reshape(f, [n, c, l]), [0, 2, 1]) : tf.reshape(f, [n, l, c])) as tf.Tensor3D;
    });
  } finally {
    if (t !== input) t.dispose();
  }
}
