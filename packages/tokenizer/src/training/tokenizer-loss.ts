import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, l2Normalize, rotationTrick, stopGradient, straightThrough } from '@titok/core';
import type { LossOutput } from '@titok/core';
import type { TitokModel } from '../titok/titok-model.js';
import { nearestCodes } from './nearest-codes.js';

/** How the decoder's gradient can cross the quantiser (see {@link TokenizerLossOptions.estimator}). */
export const ESTIMATORS = ['straight-through', 'rotation'] as const;

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
   * reference: copied unchanged) or 'rotation' (the rotation trick, {@link rotationTrick}).
   */
  estimator: (typeof ESTIMATORS)[number];
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
  const fed = w.continuous ? z : w.estimator === 'rotation' ? rotationTrick(z, e) : straightThrough(z, e);
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
