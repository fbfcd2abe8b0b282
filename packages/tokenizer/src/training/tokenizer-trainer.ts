import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Trainer, parseModelConfig, withParamInit } from '@titok/core';
import type { BatchShare, HostTensor, LossOutput, TitokConfig, TrainerOptions, TrainingCheckpoint } from '@titok/core';
import { TitokModel } from '../titok/titok-model.js';
import { checkTrainingImages, imageBatch } from './training-images.js';
import type { TrainingImages } from './training-images.js';
import { ESTIMATORS, tokenizerLoss } from './tokenizer-loss.js';
import type { TokenizerLossOptions } from './tokenizer-loss.js';

/** Settings of {@link TokenizerTrainer}: the shared ones plus the loss options and code restarts. */
export interface TokenizerTrainingOptions extends TrainerOptions, Partial<TokenizerLossOptions> {
  /**
   * Re-initialise codebook rows that no image of the last `deadCodeSteps` steps chose, from
   * encoder vectors of the current batch (0 turns it off; default 200).
   */
  deadCodeSteps?: number;
}

type Resolved = TokenizerTrainingOptions & Required<TokenizerLossOptions> & { deadCodeSteps: number };

function tokenizerConfig(configJson: Record<string, unknown>): TitokConfig {
  const c = parseModelConfig(configJson).tokenizer;
  if (!c) throw new ConfigError('the config does not describe a TiTok tokenizer (model.vq_model is missing)');
  if (c.quantizeMode !== 'vq' || c.isLegacy) throw new ConfigError('training supports VQ tokenizers with the direct-RGB decoder (quantize_mode vq, is_legacy: false)');
  return c;
}

/**
 * Trains a TiTok VQ tokenizer with the direct-RGB decoder from scratch, single stage (see
 * {@link tokenizerLoss}): the network is the library's own {@link TitokModel}, so the trained
 * weights save as a normal checkpoint. Deterministic for a seed on a given backend; checkpoints
 * resume bit for bit.
 *
 * @example
 * ```ts
 * const trainer = TokenizerTrainer.create(configJson, images, { seed: 1, steps: 3000, batchSize: 64 });
 * await trainer.train({ progress_callback: (e) => console.log(e.step, e.losses.mse) });
 * ```
 */
export class TokenizerTrainer extends Trainer<Resolved> {
  readonly model: TitokModel;
  private readonly images: TrainingImages;
  private lastUsed: Float32Array;
  private pending?: { indices: tf.Tensor; vectors: tf.Tensor2D };

  private constructor(configJson: Record<string, unknown>, images: TrainingImages, options: TokenizerTrainingOptions) {
    const config = tokenizerConfig(configJson);
    checkTrainingImages(images);
    if (images.height !== config.imageSize || images.width !== config.imageSize) {
      throw new ConfigError(`training images are ${images.height}x${images.width}, the model takes ${config.imageSize}x${config.imageSize}`);
    }
    const model = withParamInit({ seed: options.seed }, () => new TitokModel({ config }));
    if (options.estimator !== undefined && !(ESTIMATORS as readonly string[]).includes(options.estimator)) {
      throw new ConfigError(`unknown estimator "${String(options.estimator)}": ${ESTIMATORS.join(' or ')}`);
    }
    const resolved: Resolved = { commitmentCost: 0.25, codebookWeight: 1, l1Weight: 0, estimator: 'straight-through', continuous: false, deadCodeSteps: 200, ...options };
    super('tokenizer', model, images.count, resolved, configJson);
    this.model = model;
    this.images = images;
    this.lastUsed = new Float32Array(config.codebookSize);
  }

  /** A trainer for a freshly initialised tokenizer (seeded by `options.seed`). */
  static create(configJson: Record<string, unknown>, images: TrainingImages, options: TokenizerTrainingOptions): TokenizerTrainer {
    return new TokenizerTrainer(configJson, images, options);
  }

  /**
   * Continues a run from its checkpoint, with the same images (and optionally more `steps`).
   *
   * @throws InputError for a checkpoint of something else
   */
  static async resume(checkpoint: TrainingCheckpoint, images: TrainingImages, overrides: Partial<Pick<TrainerOptions, 'steps'>> = {}): Promise<TokenizerTrainer> {
    const t = new TokenizerTrainer(checkpoint.config, images, { ...(checkpoint.settings as unknown as TokenizerTrainingOptions), ...overrides });
    await t.restore(checkpoint);
    return t;
  }

  protected loss(indices: Int32Array, share: BatchShare): LossOutput {
    const batch = imageBatch(this.images, indices.subarray(share.start, share.end));
    const out = tokenizerLoss(this.model, batch, this.options);
    this.pending = { indices: out.indices, vectors: out.vectors };
    return out;
  }

  /**
   * Marks the codes of this step's batch as used, restarts dead codes; reports `codes` (distinct
   * codes in the batch) and `restarted`. Replicas see the whole batch's codes and vectors.
   */
  protected override async afterStep(step: number): Promise<Record<string, number>> {
    const p = this.pending;
    if (!p) return {};
    this.pending = undefined;
    try {
      // Code ids travel as float32: exact below 2^24.
      const ids = await this.gather(Float32Array.from((await p.indices.data()) as Int32Array));
      for (const i of ids) this.lastUsed[i] = step;
      const window = this.options.deadCodeSteps;
      const dead: number[] = [];
      if (window > 0 && step > window) {
        this.lastUsed.forEach((s, i) => {
          if (s < step - window) dead.push(i);
        });
        if (dead.length) await this.restartCodes(dead, p.vectors, step);
      }
      return { codes: new Set(ids).size, restarted: dead.length };
    } finally {
      tf.dispose([p.indices, p.vectors]);
    }
  }

  /**
   * Sets the `dead` codebook rows to encoder vectors of this batch (every replica's: the replicas
   * agree on `dead`, so all of them gather here) picked by the training RNG.
   */
  private async restartCodes(dead: number[], vectors: tf.Tensor2D, step: number): Promise<void> {
    const quantizer = this.model.quantizer!;
    const table = quantizer.embedding.namedWeights().get('weight')!;
    const rows = (await table.read().data()) as Float32Array;
    const c = table.shape[1]!;
    const vecs = await this.gather((await vectors.data()) as Float32Array);
    const m = vecs.length / c;
    const next = Float32Array.from(rows);
    for (const code of dead) {
      const src = this.rng.int(m);
      next.set(vecs.subarray(src * c, (src + 1) * c), code * c);
      this.lastUsed[code] = step;
    }
    tf.tidy(() => {
      table.write(tf.tensor(next, table.shape as number[], 'float32'));
    });
  }

  protected override extraState(): Map<string, HostTensor> {
    return new Map([['code_last_used', { shape: [this.lastUsed.length], data: Float32Array.from(this.lastUsed) }]]);
  }

  protected override restoreExtra(tensors: ReadonlyMap<string, HostTensor>): void {
    const t = tensors.get('code_last_used');
    if (t) this.lastUsed = Float32Array.from(t.data);
  }
}
