import * as tf from '@tensorflow/tfjs-core';
import type { LossOutput } from '@titok/core';
import type { GeneratorNetwork } from '../networks/generator-network.js';
import { maskedCrossEntropy } from './masked-cross-entropy.js';

/** A masked batch: sequences [class token, L ids with some set to the mask id], and what to predict. */
export interface MaskedBatch {
  /** B x (1 + L) int32, row-major. */
  sequences: Int32Array;
  /** B x L: the original ids. */
  targets: Int32Array;
  /** B x L: 1 where the input was masked (the loss looks only there). */
  masked: Float32Array;
  batch: number;
  seqLen: number;
}

/**
 * MaskGIT's training loss on the generator network: cross-entropy of the logits at the masked
 * positions only (mean over them), with label smoothing ε: (1 − ε)·NLL + ε·mean over classes of
 * −log p. Also reports `acc`, the share of masked positions whose argmax is right, and weighs
 * itself by the number of masked positions (for data-parallel replicas). Call inside the
 * gradient tape.
 */
export function generatorLoss(network: GeneratorNetwork, b: MaskedBatch, labelSmoothing: number): LossOutput {
  const K = network.codebookSize;
  const n = b.batch * b.seqLen;
  const seq = tf.tensor2d(b.sequences, [b.batch, b.seqLen + 1], 'int32');
  const logits = tf.reshape(network.forwardSequence(seq), [n, K]) as tf.Tensor2D;
  const targets = tf.tensor1d(b.targets, 'int32');
  const weights = tf.tensor1d(b.masked, 'float32');
  const count = Math.max(1, b.masked.reduce((s, x) => s + x, 0));
  const { loss: total, nll: maskedNll } = maskedCrossEntropy(logits, targets, weights, count, labelSmoothing);
  const right = tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32');
  const acc = tf.div(tf.sum(tf.mul(right, weights)), count) as tf.Scalar;
  return { total, terms: { nll: maskedNll, acc }, weight: count };
}

/** Examples [start, end) of a masked batch (a data-parallel replica's share). */
export function sliceMaskedBatch(b: MaskedBatch, share: { start: number; end: number }): MaskedBatch {
  const L = b.seqLen;
  return {
    sequences: b.sequences.slice(share.start * (L + 1), share.end * (L + 1)),
    targets: b.targets.slice(share.start * L, share.end * L),
    masked: b.masked.slice(share.start * L, share.end * L),
    batch: share.end - share.start,
    seqLen: L,
  };
}
