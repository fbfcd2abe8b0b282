import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, InputError, l2Normalize } from '@titok/core';
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
}

/** What `search: true` means, and what an option left out of {@link CodeSearchOptions} takes. */
export const CODE_SEARCH_DEFAULTS: Readonly<Required<CodeSearchOptions>> = { candidates: 8, sweeps: 1 };

/** The search's settings with the defaults filled in. */
export function resolveCodeSearch(search: boolean | CodeSearchOptions | undefined): Required<CodeSearchOptions> | undefined {
  if (!search) return undefined;
  const o = { ...CODE_SEARCH_DEFAULTS, ...(search === true ? {} : search) };
  for (const k of ['candidates', 'sweeps'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new InputError(`search.${k} must be a whole number of 1 or more, got ${o[k]}`);
  }
  return o;
}

/**
 * VQ token ids chosen for the reconstruction rather than for nearness: starting from the nearest
 * codes (the reference's `encode`), each token in turn tries its `candidates` nearest codes and
 * keeps the one whose decoded image (clipped to [0, 1]) is closest to the input in mean squared
 * error, the other tokens fixed (greedy coordinate descent, `sweeps` passes). A token changes only
 * when the error strictly falls, so no image reconstructs worse than from its nearest codes.
 * Costs one decode of the batch per token and candidate: L x (candidates - 1) x sweeps decodes.
 *
 * @param images N x S x S x 3 float32 in [0, 1]
 * @returns int32 ids N x L (the caller's to dispose)
 */
export async function searchCodes(model: TitokModel, images: tf.Tensor4D, options: Required<CodeSearchOptions>): Promise<tf.Tensor2D> {
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
    const e = tf.tidy(() => {
      const y = tf.clipByValue(model.decodeIds(tf.tensor2d(codes, [n, l], 'int32')), 0, 1);
      return tf.mean(tf.square(tf.sub(y, images)), [1, 2, 3]);
    });
    try {
      return (await e.data()) as Float32Array;
    } finally {
      e.dispose();
    }
  };
  const best = await errors(current);
  for (let sweep = 0; sweep < options.sweeps; sweep++) {
    for (let p = 0; p < l; p++) {
      for (let j = 0; j < k; j++) {
        const trial = Int32Array.from(current);
        let differs = false;
        for (let i = 0; i < n; i++) {
          const code = pool[(i * l + p) * k + j]!;
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
