import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, l2Normalize, rotationTrick, stopGradient, straightThrough } from '@titok/core';
import type { LossOutput, VectorQuantizer } from '@titok/core';
import type { TitokModel } from '../titok/titok-model.js';
import { nearestCodes } from './nearest-codes.js';

/** How the decoder's gradient can cross the quantiser (see {@link TokenizerLossOptions.estimator}). */
export const ESTIMATORS = ['straight-through', 'rotation', 'soft', 'noise'] as const;

/** What the 'soft' estimator's settings take when left out. */
export const SOFT_CHOICE_DEFAULTS = { softCandidates: 8, softTemperature: 0.01 } as const;

/** Settings of the tokenizer's loss: the weights of its terms, and how the decoder is fed. */
export interface TokenizerLossOptions {
  /** β of the commitment loss ‖z − sg(e)‖² (default 0.25, as the reference). */
  commitmentCost: number;
  /** Weight of the codebook loss ‖sg(z) − e‖² (default 1). */
  codebookWeight: number;
  /** Weight of an L1 reconstruction term added to the MSE (default 0). */
  l1Weight: number;
  /**
   * How the decoder's gradient crosses the quantiser to the encoder: 'straight-through' (the
   * reference: copied unchanged), 'rotation' (the rotation trick, {@link rotationTrick}) or
   * 'soft' (straight-through plus the gradient of a soft choice among the `softCandidates`
   * nearest codes, weighted by softmax(−‖z − e_k‖² / `softTemperature`): the encoder also
   * learns which of its nearest codes the decoder prefers; the forward pass and the codebook's
   * gradient stay those of straight-through) or 'noise' (noise substitution, NSVQ: the decoder
   * gets z moved by the quantisation error's length ‖z − e‖ in a random direction, `noise`, so
   * the gradient reaches z and e exactly and no estimate crosses the quantiser; the decoder
   * meets the codes themselves only when used).
   */
  estimator: (typeof ESTIMATORS)[number];
  /** 'soft' estimator: how many nearest codes the soft choice weighs (default 8). */
  softCandidates?: number;
  /**
   * 'noise' estimator: standard normal draws, (N·L) x C (the trainer draws them from its seed).
   * Their directions are used, not their lengths.
   */
  noise?: tf.Tensor2D;
  /** 'soft' estimator: temperature τ of the weights softmax(−‖z − e_k‖² / τ) (default 0.01). */
  softTemperature?: number;
  /**
   * Feed the decoder the encoder's vectors z themselves, not their codes (default false). Only a
   * reference for what quantisation costs a network: the loss terms, code choices and restarts
   * stay as they are (the codebook still follows z), but a model trained so still decodes codes
   * when used, which it was not trained on.
   */
  continuous: boolean;
}

/** @deprecated The former name of {@link TokenizerLossOptions}. */
export type TokenizerLossWeights = TokenizerLossOptions;

/** What {@link tokenizerLoss} returns: the loss terms, the chosen codes and the vectors coded. */
export interface TokenizerLossOutput extends LossOutput {
  /** Codes chosen, int32 N x L (kept: dispose it). */
  indices: tf.Tensor;
  /** The (normalised) encoder vectors, (N·L) x C, gradient-free (kept: dispose it). */
  vectors: tf.Tensor2D;
}

/**
 * The single-stage VQ training loss of a TiTok tokenizer with the direct-RGB decoder, on the
 * model's own layers: encode, quantise to the nearest codebook row e of z (both l2-normalised
 * when the config says so), decode the straight-through z + sg(e − z) (or, by `estimator`, the
 * rotation trick's; or z itself when `continuous`), and sum
 * MSE(x̂, x) (+ l1Weight·L1) + codebookWeight·‖sg(z) − e‖² + β·‖z − sg(e)‖² (means over elements,
 * as the reference's VectorQuantizer). Call inside the gradient tape.
 */
export function tokenizerLoss(model: TitokModel, images: tf.Tensor4D, w: TokenizerLossOptions): TokenizerLossOutput {
  const quantizer = model.quantizer;
  if (!quantizer || model.config.isLegacy || !model.encoder || !model.decoder) {
    throw new ConfigError('training needs a VQ tokenizer with the direct-RGB decoder (is_legacy: false), built with both parts');
  }
  const latents = model.encodeLatents(images);
  const [n, l, c] = latents.shape;
  const z = tf.reshape(quantizer.useL2Norm ? l2Normalize(latents) : latents, [n * l, c]) as tf.Tensor2D;
  const codebook = quantizer.codebook();
  const zFixed = stopGradient(z);
  const { rows: e, indices } = nearestCodes(quantizer, zFixed, codebook);
  const codebookLoss = tf.mean(tf.squaredDifference(zFixed, e)) as tf.Scalar;
  const commitment = tf.mean(tf.squaredDifference(z, stopGradient(e))) as tf.Scalar;
  const fed = w.continuous
    ? z
    : w.estimator === 'rotation'
      ? rotationTrick(z, e)
      : w.estimator === 'soft'
        ? tf.add(straightThrough(z, e), softChoice(quantizer, z, zFixed, codebook, w.softCandidates ?? SOFT_CHOICE_DEFAULTS.softCandidates, w.softTemperature ?? SOFT_CHOICE_DEFAULTS.softTemperature))
        : w.estimator === 'noise'
          ? noiseSubstitution(z, e, w.noise)
          : straightThrough(z, e);
  const zq = tf.reshape(fed, [n, l, c]) as tf.Tensor3D;
  const recon = model.decodeLatents(zq);
  const mse = tf.mean(tf.squaredDifference(recon, images)) as tf.Scalar;
  let rec: tf.Scalar = mse;
  const terms: Record<string, tf.Scalar> = { mse, codebook: codebookLoss, commitment };
  if (w.l1Weight > 0) {
    const l1 = tf.mean(tf.abs(tf.sub(recon, images))) as tf.Scalar;
    terms.l1 = l1;
    rec = tf.add(mse, tf.mul(l1, w.l1Weight));
  }
  const total = tf.addN([rec, tf.mul(codebookLoss, w.codebookWeight), tf.mul(commitment, w.commitmentCost)]) as tf.Scalar;
  const ids = tf.keep(tf.reshape(indices, [n, l]));
  indices.dispose();
  return { total, terms, indices: ids, vectors: tf.keep(tf.clone(zFixed)) as tf.Tensor2D };
}

/**
 * Zero in value, and the gradient of a soft choice among each vector's `k` nearest codes: the
 * average q̄ = Σ w_k e_k with w = softmax(−‖z − e_k‖² / τ), as q̄ − sg(q̄). Added to the
 * straight-through vector, it leaves the decoder's input as it is, and sends the encoder the
 * gradient of moving z towards the candidates whose codes the decoder's gradient favours
 * (first order: lower g · e_k), what the code search finds by decoding. The codebook gets none
 * of it (its rows are constants here).
 */
export function softChoice(quantizer: VectorQuantizer, z: tf.Tensor2D, zFixed: tf.Tensor2D, codebook: tf.Tensor2D, k: number, temperature: number): tf.Tensor2D {
  const candidates = quantizer.nearestCandidates(zFixed, Math.min(k, quantizer.codebookSize));
  // The candidates' rows as one op with a zero gradient: the integer ids stay off the tape.
  const gatherRows = tf.customGrad(((cb: tf.Tensor2D) => ({
    value: tf.gather(cb, candidates),
    gradFunc: () => [tf.zerosLike(cb)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  const rows = gatherRows(codebook) as tf.Tensor3D;
  // sub + square: tfjs 4.22's SquaredDifference gradient does not undo broadcasting.
  const d = tf.sum(tf.square(tf.sub(tf.expandDims(z, 1), rows)), 2);
  const weights = tf.softmax(tf.div(tf.neg(d), temperature));
  const mean = tf.sum(tf.mul(tf.expandDims(weights, 2), rows), 1) as tf.Tensor2D;
  return tf.sub(mean, stopGradient(mean));
}

/**
 * Noise substitution (Vali & Bäckström, NSVQ): z + ‖z − e‖ · u / ‖u‖ row by row, u = `noise`.
 * The result is as far from z as its code, in a random direction; both z and e get the exact
 * gradient of that (e through the length).
 */
export function noiseSubstitution(z: tf.Tensor2D, e: tf.Tensor2D, noise: tf.Tensor2D | undefined): tf.Tensor2D {
  if (!noise || noise.shape[0] !== z.shape[0] || noise.shape[1] !== z.shape[1]) {
    throw new ConfigError(`the 'noise' estimator needs noise shaped like the vectors [${z.shape.join(', ')}], got ${noise ? `[${noise.shape.join(', ')}]` : 'none'}`);
  }
  const length = tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(z, e)), 1, true), 1e-12));
  const direction = tf.div(noise, tf.norm(noise, 'euclidean', 1, true));
  return tf.add(z, tf.mul(length, direction));
}
