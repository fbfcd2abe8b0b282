import { ConfigError, InputError, Trainer, parseModelConfig } from '@titok/core';
import type { BatchShare, GeneratorConfig, LossOutput, TrainerOptions, TrainingCheckpoint } from '@titok/core';
import { buildGeneratorNetwork } from '../networks/build.js';
import type { GeneratorNetwork } from '../networks/generator-network.js';
import { classTokenId, maskTokenId, noClassTokenId } from '../networks/token-space.js';
import { generatorLoss, sliceMaskedBatch } from './generator-loss.js';
import type { MaskedBatch } from './generator-loss.js';
import { arccosMaskCount, maskPositions } from './masking.js';

/** Token sequences of a training set (a tokenizer's ids of its images) and their class labels. */
export interface TokenTrainingData {
  count: number;
  /** L, the generator's image_seq_len. */
  seqLen: number;
  /** count x L ids in [0, K). */
  ids: Int32Array;
  /** count labels in [0, numClasses). */
  labels: ArrayLike<number>;
}

/** Settings of {@link GeneratorTrainer}. */
export interface GeneratorTrainingOptions extends TrainerOptions {
  /** Probability of replacing the class token by the "no class" token (classifier-free guidance; default 0.1). */
  classDropout?: number;
  /** Label smoothing of the cross-entropy (default 0.1, as the reference). */
  labelSmoothing?: number;
  /** Smallest fraction of tokens masked (default 0). */
  minMaskRatio?: number;
}

type Resolved = GeneratorTrainingOptions & { classDropout: number; labelSmoothing: number; minMaskRatio: number };

function generatorConfig(configJson: Record<string, unknown>): GeneratorConfig {
  const c = parseModelConfig(configJson).generator;
  if (!c) throw new ConfigError('the config does not describe a generator (model.generator is missing)');
  return c;
}

/**
 * Trains a class-conditional MaskGIT generator (the library's BERT or U-ViT network) on token
 * sequences: each step masks a count of tokens drawn from the arccos schedule at random
 * positions, drops the class with probability `classDropout` (so that sampling can use
 * classifier-free guidance), and minimises the cross-entropy at the masked positions. Every
 * random choice comes from the seeded training RNG: deterministic, and checkpoints resume bit
 * for bit.
 */
export class GeneratorTrainer extends Trainer<Resolved> {
  override readonly network: GeneratorNetwork;
  private readonly data: TokenTrainingData;

  private constructor(configJson: Record<string, unknown>, data: TokenTrainingData, options: GeneratorTrainingOptions) {
    const config = generatorConfig(configJson);
    const L = config.imageSeqLen;
    if (data.seqLen !== L || data.ids.length !== data.count * L || data.labels.length !== data.count) {
      throw new InputError(`token data: ${data.count} sequences of ${data.seqLen} (${data.ids.length} ids, ${data.labels.length} labels) for a generator of ${L} tokens`);
    }
    for (const v of data.ids) if (!(v >= 0 && v < config.codebookSize)) throw new InputError(`token id ${v} is outside [0, ${config.codebookSize})`);
    for (const y of Array.from(data.labels)) if (!(y >= 0 && y < config.numClasses)) throw new InputError(`label ${y} is outside [0, ${config.numClasses})`);
    const network = buildGeneratorNetwork(config, { seed: options.seed });
    super('generator', network, data.count, { classDropout: 0.1, labelSmoothing: 0.1, minMaskRatio: 0, ...options }, configJson);
    this.network = network;
    this.data = data;
  }

  /** A trainer for a freshly initialised generator (seeded by `options.seed`). */
  static create(configJson: Record<string, unknown>, data: TokenTrainingData, options: GeneratorTrainingOptions): GeneratorTrainer {
    return new GeneratorTrainer(configJson, data, options);
  }

  /** Continues a run from its checkpoint, with the same data (optionally more `steps`). */
  static async resume(checkpoint: TrainingCheckpoint, data: TokenTrainingData, overrides: Partial<Pick<TrainerOptions, 'steps'>> = {}): Promise<GeneratorTrainer> {
    const t = new GeneratorTrainer(checkpoint.config, data, { ...(checkpoint.settings as unknown as GeneratorTrainingOptions), ...overrides });
    await t.restore(checkpoint);
    return t;
  }

  /** The masked batch for training-set examples `indices` (draws from the training RNG). */
  maskedBatch(indices: Int32Array): MaskedBatch {
    const c = this.network.config;
    const L = c.imageSeqLen;
    const B = indices.length;
    const sequences = new Int32Array(B * (L + 1));
    const targets = new Int32Array(B * L);
    const masked = new Float32Array(B * L);
    const maskId = maskTokenId(c.codebookSize);
    for (let b = 0; b < B; b++) {
      const i = indices[b]!;
      const drop = this.rng.uniform() < this.options.classDropout;
      sequences[b * (L + 1)] = drop ? noClassTokenId(c.codebookSize, c.numClasses) : classTokenId(c.codebookSize, this.data.labels[i]!);
      const mask = maskPositions(this.rng, L, arccosMaskCount(this.rng.uniform(), L, this.options.minMaskRatio));
      for (let j = 0; j < L; j++) {
        const id = this.data.ids[i * L + j]!;
        targets[b * L + j] = id;
        masked[b * L + j] = mask[j]!;
        sequences[b * (L + 1) + 1 + j] = mask[j] ? maskId : id;
      }
    }
    return { sequences, targets, masked, batch: B, seqLen: L };
  }

  /** The masks are drawn for the whole batch (replicas stay in step), the loss taken on `share`. */
  protected loss(indices: Int32Array, share: BatchShare): LossOutput {
    return generatorLoss(this.network, sliceMaskedBatch(this.maskedBatch(indices), share), this.options.labelSmoothing);
  }
}
