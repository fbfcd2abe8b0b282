import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, InputError, ensureGradientKernels, l2Normalize } from '@titok/core';
import type { TitokModel } from './titok-model.js';

/**
 * Options of the code search (`TiTok.encode`'s `search`): which codes each token may
 * try, and how many passes over the tokens.
 */
export interface CodeSearchOptions {
  /** How many of its nearest codes each token tries, the nearest included (default 8). */
  candidates?: number;
  /** Passes over the tokens, each trying every token's candidates once (default 1). */
  sweeps?: number;
  /**
   * Guided search: how many of each token's other candidates a sweep decodes, those that a
   * first-order estimate (the gradient of the error with respect to the tokens, one backward pass
   * a sweep) says lower the error most. Left out: every candidate is decoded, no gradient.
   */
  tries?: number;
}

/** The search's settings, defaults filled in (`tries` stays optional: unguided without it). */
export type ResolvedCodeSearch = Required<Omit<CodeSearchOptions, 'tries'>> & Pick<CodeSearchOptions, 'tries'>;

/** What `search: true` means, and what an option left out of {@link CodeSearchOptions} takes. */
export const CODE_SEARCH_DEFAULTS: Readonly<Omit<ResolvedCodeSearch, 'tries'>> = { candidates: 8, sweeps: 1 };

/** The search's settings with the defaults filled in. */
export function resolveCodeSearch(search: boolean | CodeSearchOptions | undefined): ResolvedCodeSearch | undefined {
  if (!search) return undefined;
  const o: ResolvedCodeSearch = { ...CODE_SEARCH_DEFAULTS, ...(search === true ? {} : search) };
  for (const k of ['candidates', 'sweeps', 'tries'] as const) {
    if (k === 'tries' && o.tries === undefined) continue;
    if (!Number.isInteger(o[k]) || o[k]! < 1) throw new InputError(`search.${k} must be a whole number of 1 or more, got ${o[k]}`);
  }
  return o;
}

/**
 * VQ token ids chosen for the reconstruction rather than for nearness: starting from the nearest
 * codes (the reference's `encode`), each token in turn tries its `candidates` nearest codes and
 * keeps the one whose decoded image (clipped to [0, 1]) is closest to the input in mean squared
 * error, the other tokens fixed (greedy coordinate descent, `sweeps` passes). A token changes only
 * when the error strictly falls, so no image reconstructs worse than from its nearest codes.
 * Costs one decode of the batch per token and candidate tried: L x (candidates - 1) x sweeps
 * decodes, or with `tries` L x tries x sweeps decodes and one backward pass a sweep.
 *
 * @param images N x S x S x 3 float32 in [0, 1]
 * @returns int32 ids N x L (the caller's to dispose)
 */
export async function searchCodes(model: TitokModel, images: tf.Tensor4D, options: ResolvedCodeSearch): Promise<tf.Tensor2D> {
  const vq = model.quantizer;
  if (!vq) throw new ConfigError('code search is for VQ tokenizers; this one is not');
  const k = Math.min(options.candidates, vq.codebookSize);
  const [ids, candidates] = tf.tidy(() => {
    const latents = model.encodeLatents(images);
    const z = tf.reshape(vq.useL2Norm ? l2Normalize(latents) : latents, [-1, vq.tokenSize]) as tf.Tensor2D;
    // Start from the quantiser's own choice, encode's ids exactly.
    return [model.quantize(latents).indices as tf.Tensor2D, vq.nearestCandidates(z, k)];
  });
  const [n, l] = ids.shape;
  let current: Int32Array;
  let pool: Int32Array;
  try {
    current = Int32Array.from((await ids.data()) as Int32Array);
    pool = (await candidates.data()) as Int32Array;
  } finally {
    tf.dispose([ids, candidates]);
  }
  const errors = async (codes: Int32Array): Promise<Float32Array> => {
    const e = tf.tidy(() => pictureErrors(model, images, model.lookup(tf.tensor2d(codes, [n, l], 'int32'))));
    try {
      return (await e.data()) as Float32Array;
    } finally {
      e.dispose();
    }
  };
  const guided = options.tries !== undefined && options.tries < k - 1;
  const tries = guided ? options.tries! : k;
  const best = await errors(current);
  for (let sweep = 0; sweep < options.sweeps; sweep++) {
    const order = guided ? await rankCandidates(model, images, current, pool, k, tries) : pool;
    for (let p = 0; p < l; p++) {
      for (let j = 0; j < tries; j++) {
        const trial = Int32Array.from(current);
        let differs = false;
        for (let i = 0; i < n; i++) {
          const code = order[(i * l + p) * tries + j]!;
          if (code !== current[i * l + p]) differs = true;
          trial[i * l + p] = code;
        }
        if (!differs) continue;
        const e = await errors(trial);
        for (let i = 0; i < n; i++) {
          if (e[i]! < best[i]!) {
            best[i] = e[i]!;
            current[i * l + p] = trial[i * l + p]!;
          }
        }
      }
    }
  }
  return tf.tensor2d(current, [n, l], 'int32');
}

/** Pixels per backward pass of the guided search's ranking: 64 pictures of 32x32, one of 256x256. */
const GRADIENT_PIXELS = 64 * 32 * 32;

/** Each picture's mean squared error, decoded from `tokens` (N x L x C) and clipped, against `images`: N. */
function pictureErrors(model: TitokModel, images: tf.Tensor4D, tokens: tf.Tensor3D): tf.Tensor1D {
  const y = tf.clipByValue(model.decodeLatents(tokens), 0, 1);
  return tf.mean(tf.square(tf.sub(y, images)), [1, 2, 3]);
}

/**
 * Each token's `tries` most promising candidates other than its current code, N x L x tries:
 * ranked by the first-order change of its picture's error, g . (e_c - e_current), with g the
 * gradient of the error with respect to that token's vector. Where fewer are left, the current
 * code fills the rest (the search skips it).
 */
async function rankCandidates(model: TitokModel, images: tf.Tensor4D, current: Int32Array, pool: Int32Array, k: number, tries: number): Promise<Int32Array> {
  const n = images.shape[0];
  const l = current.length / n;
  // The decoder's gradient needs kernels tfjs 4.22 lacks (the direct-RGB head's, on wasm).
  ensureGradientKernels();
  const change = new Float32Array(n * l * k);
  // A backward pass keeps every activation (a few MB for a 32x32 picture): a few pictures at a time.
  const chunk = Math.max(1, Math.floor(GRADIENT_PIXELS / (images.shape[1] * images.shape[2])));
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const est = tf.tidy(() => {
      const x = tf.slice(images, [s, 0, 0, 0], [m, -1, -1, -1]);
      const q = model.lookup(tf.tensor2d(current.subarray(s * l, (s + m) * l), [m, l], 'int32'));
      // Pictures are independent, so the gradient of the summed errors is each picture's own.
      const g = tf.grad((t) => tf.sum(pictureErrors(model, x, t as tf.Tensor3D)))(q);
      const c = q.shape[2];
      const rows = tf.reshape(model.lookup(tf.tensor2d(pool.subarray(s * l * k, (s + m) * l * k), [m, l * k], 'int32')), [m, l, k, c]);
      return tf.sum(tf.mul(tf.sub(rows, tf.expandDims(q, 2)), tf.expandDims(g, 2)), 3);
    });
    try {
      change.set((await est.data()) as Float32Array, s * l * k);
    } finally {
      est.dispose();
    }
  }
  const order = new Int32Array(n * l * tries);
  for (let t = 0; t < n * l; t++) {
    const others: number[] = [];
    for (let j = 0; j < k; j++) if (pool[t * k + j] !== current[t]) others.push(j);
    others.sort((a, b) => change[t * k + a]! - change[t * k + b]! || a - b);
    for (let r = 0; r < tries; r++) order[t * tries + r] = r < others.length ? pool[t * k + others[r]!]! : current[t]!;
  }
  return order;
}
