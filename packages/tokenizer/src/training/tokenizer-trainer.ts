import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, Trainer, parseModelConfig, withParamInit } from '@titok/core';
import type { BatchShare, HostTensor, LossOutput, TitokConfig, TrainerOptions, TrainingCheckpoint } from '@titok/core';
import { TitokModel } from '../titok/titok-model.js';
import { checkTrainingImages, imageBatch } from './training-images.js';
import type { TrainingImages } from './training-images.js';
import { CodebookEma } from './codebook-ema.js';
import { ESTIMATORS, SOFT_CHOICE_DEFAULTS, tokenizerLoss } from './tokenizer-loss.js';
import type { TokenizerLossOptions } from './tokenizer-loss.js';

/** Settings of {@link TokenizerTrainer}: the shared ones plus the loss options and code restarts. */
export interface TokenizerTrainingOptions extends TrainerOptions, Partial<Omit<TokenizerLossOptions, 'noise'>> {
  /**
   * Re-initialise codebook rows that no image of the last `deadCodeSteps` steps chose, from
   * encoder vectors of the current batch (0 turns it off; default 200).
   */
  deadCodeSteps?: number;
  /** Restart dead codes only up to this step (default: throughout), so the last steps settle. */
  restartUntil?: number;
  /**
   * Feed the decoder the encoder's vectors z themselves for this many first steps, then their
   * codes (default 0): a warm start in which encoder and decoder learn without quantisation
   * while the codebook already follows z (its loss and the restarts run throughout).
   */
  continuousSteps?: number;
  /**
   * After this many steps, train only the decoder (default: never): the encoder, latent tokens
   * and codebook are frozen, so every image keeps its codes and the decoder adapts to them, as in
   * TiTok's decoder fine-tuning stage (`finetune_decoder`). Code restarts and 'ema' updates end
   * there too. The frozen parts' gradients are not computed, so these steps are faster.
   */
  finetuneDecoderFrom?: number;
  /**
   * How the codebook learns: 'loss' (default, the reference: the codebook loss's gradient, weighted
   * by `codebookWeight`) or 'ema' (each row the moving average of the encoder vectors assigned to
   * it, {@link CodebookEma}; the codebook loss is then reported but not trained on).
   */
  codebookUpdate?: (typeof CODEBOOK_UPDATES)[number];
  /** γ of the 'ema' codebook update's moving averages, in (0, 1) (default 0.99). */
  codebookDecay?: number;
  /**
   * How many encoder vectors a code's initial or restarted row weighs in its 'ema' average
   * (default 1: the first vector assigned to a code moves it halfway).
   */
  codebookPrior?: number;
}

/** The RNG stream of the 'noise' estimator's draws (epochs' orders use streams 0, 1, ...). */
const NOISE_STREAM = 0x6e6f6973;

/** The ways {@link TokenizerTrainingOptions.codebookUpdate} can update the codebook. */
export const CODEBOOK_UPDATES = ['loss', 'ema'] as const;

type Resolved = TokenizerTrainingOptions &
  Required<Omit<TokenizerLossOptions, 'noise'>> &
  Required<Pick<TokenizerTrainingOptions, 'deadCodeSteps' | 'continuousSteps' | 'codebookUpdate' | 'codebookDecay' | 'codebookPrior'>>;

const isSteps = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const oneOf = (names: readonly string[]) => (v: unknown) => names.includes(v as string);

/** Each checked option: the test, and what the error says it must be (or its allowed names). */
const OPTION_CHECKS: [keyof TokenizerTrainingOptions, (v: unknown) => boolean, string | readonly string[]][] = [
  ['estimator', oneOf(ESTIMATORS), ESTIMATORS],
  ['codebookUpdate', oneOf(CODEBOOK_UPDATES), CODEBOOK_UPDATES],
  ['softCandidates', (v) => Number.isInteger(v) && (v as number) >= 2, 'a whole number of codes (2 or more)'],
  ['softTemperature', (v) => (v as number) > 0 && Number.isFinite(v), 'a positive number'],
  ['continuousSteps', isSteps, 'a whole number of steps (0 or more)'],
  ['restartUntil', isSteps, 'a whole number of steps (0 or more)'],
  ['finetuneDecoderFrom', isSteps, 'a whole number of steps (0 or more)'],
  ['codebookDecay', (v) => (v as number) > 0 && (v as number) < 1, 'between 0 and 1 (exclusive)'],
  ['codebookPrior', (v) => (v as number) > 0 && Number.isFinite(v), 'a positive number of vectors'],
];

/** Refuses an option the trainer cannot use, naming it and what it takes. */
function checkOptions(options: TokenizerTrainingOptions): void {
  for (const [key, ok, expected] of OPTION_CHECKS) {
    const v = options[key];
    if (v === undefined || ok(v)) continue;
    throw new ConfigError(typeof expected === 'string' ? `${key} must be ${expected}, got ${String(v)}` : `unknown ${key} "${String(v)}": ${expected.join(' or ')}`);
  }
}

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
  /** The codebook's moving averages, with codebookUpdate 'ema' (made at the first step). */
  private ema?: CodebookEma;
  /** The decoder's parameters: all that {@link TokenizerTrainingOptions.finetuneDecoderFrom} trains. */
  private readonly decoderParams: ReadonlyMap<string, tf.Variable>;

  private constructor(configJson: Record<string, unknown>, images: TrainingImages, options: TokenizerTrainingOptions) {
    const config = tokenizerConfig(configJson);
    checkTrainingImages(images);
    if (images.height !== config.imageSize || images.width !== config.imageSize) {
      throw new ConfigError(`training images are ${images.height}x${images.width}, the model takes ${config.imageSize}x${config.imageSize}`);
    }
    const model = withParamInit({ seed: options.seed }, () => new TitokModel({ config }));
    checkOptions(options);
    const resolved: Resolved = {
      ...{ commitmentCost: 0.25, codebookWeight: 1, l1Weight: 0, estimator: 'straight-through', ...SOFT_CHOICE_DEFAULTS, continuous: false },
      ...{ deadCodeSteps: 200, continuousSteps: 0, codebookUpdate: 'loss', codebookDecay: 0.99, codebookPrior: 1 },
      ...options,
    };
    super('tokenizer', model, images.count, resolved, configJson);
    this.model = model;
    this.images = images;
    this.lastUsed = new Float32Array(config.codebookSize);
    this.decoderParams = new Map([...this.params].filter(([k]) => TitokModel.inPart('decoder', k)));
  }

  /** A trainer for a freshly initialised tokenizer (seeded by `options.seed`). */
  static create(configJson: Record<string, unknown>, images: TrainingImages, options: TokenizerTrainingOptions): TokenizerTrainer {
    return new TokenizerTrainer(configJson, images, options);
  }

  /**
   * Continues a run from its checkpoint, with the same images; optionally with more `steps`, and
   * `finetuneDecoderFrom` to add a decoder-only phase to a finished run (the learning-rate
   * schedule then spans the new length).
   *
   * @example
   * ```ts
   * // 2,000 decoder-only steps after a finished 8,000-step run
   * const t = await TokenizerTrainer.resume(checkpoint, images, { steps: 10000, finetuneDecoderFrom: 8000 });
   * ```
   * @throws InputError for a checkpoint of something else
   */
  static async resume(checkpoint: TrainingCheckpoint, images: TrainingImages, overrides: Partial<Pick<TokenizerTrainingOptions, 'steps' | 'finetuneDecoderFrom'>> = {}): Promise<TokenizerTrainer> {
    const t = new TokenizerTrainer(checkpoint.config, images, { ...(checkpoint.settings as unknown as TokenizerTrainingOptions), ...overrides });
    await t.restore(checkpoint);
    return t;
  }

  /** Whether the update of 0-based `step` trains only the decoder. */
  private decoderOnly(step: number): boolean {
    return step >= (this.options.finetuneDecoderFrom ?? Infinity);
  }

  protected override trainableParams(step: number): ReadonlyMap<string, tf.Variable> {
    return this.decoderOnly(step) ? this.decoderParams : this.params;
  }

  protected loss(indices: Int32Array, share: BatchShare): LossOutput {
    const batch = imageBatch(this.images, indices.subarray(share.start, share.end));
    const o = this.options;
    const continuous = o.continuous || this.step < o.continuousSteps;
    // The decoder fine-tunes on the codes themselves (the encoder is frozen: every estimator's forward pass but noise's is e).
    const estimator = this.decoderOnly(this.step) ? 'straight-through' : o.estimator;
    const noise = !continuous && estimator === 'noise' ? this.noise(indices.length, share) : undefined;
    const out = tokenizerLoss(this.model, batch, {
      ...o,
      estimator,
      noise,
      continuous,
      codebookWeight: o.codebookUpdate === 'ema' ? 0 : o.codebookWeight,
    });
    noise?.dispose();
    this.pending = { indices: out.indices, vectors: out.vectors };
    return out;
  }

  /**
   * The 'noise' estimator's normal draws for this step's share, (share·L) x C: from a stream of
   * the seed for this step (so a resumed run draws the same), the whole batch's, then the share's
   * rows (so replicas agree with one trainer).
   */
  private noise(batch: number, share: BatchShare): tf.Tensor2D {
    const { numLatentTokens: l } = this.model.config;
    const c = this.model.quantizer!.tokenSize;
    const rng = this.rng.derive(NOISE_STREAM).derive(this.step);
    const all = new Float32Array(batch * l * c);
    for (let i = 0; i < all.length; i++) all[i] = rng.normal();
    return tf.tensor2d(all.subarray(share.start * l * c, share.end * l * c), [(share.end - share.start) * l, c]);
  }

  /**
   * Marks the codes of this step's batch as used, moves the codebook (codebookUpdate 'ema'),
   * restarts dead codes; reports `codes` (distinct codes in the batch) and `restarted`. Replicas
   * see the whole batch's codes and vectors (the vectors are gathered only when needed).
   */
  protected override async afterStep(step: number): Promise<Record<string, number>> {
    const p = this.pending;
    if (!p) return {};
    this.pending = undefined;
    try {
      // Code ids travel as float32: exact below 2^24.
      const ids = await this.gather(Float32Array.from((await p.indices.data()) as Int32Array));
      for (const i of ids) this.lastUsed[i] = step;
      // The codebook is frozen once only the decoder trains.
      const frozen = this.decoderOnly(step - 1);
      const window = this.options.deadCodeSteps;
      const dead: number[] = [];
      if (!frozen && window > 0 && step > window && step <= (this.options.restartUntil ?? Infinity)) {
        this.lastUsed.forEach((s, i) => {
          if (s < step - window) dead.push(i);
        });
      }
      if ((frozen || this.options.codebookUpdate !== 'ema') && !dead.length) return { codes: new Set(ids).size, restarted: 0 };
      const vectors = await this.gather((await p.vectors.data()) as Float32Array);
      let rows = await this.codebookRows();
      if (this.options.codebookUpdate === 'ema') {
        this.ema ??= CodebookEma.fromRows(rows, this.model.quantizer!.tokenSize, this.options.codebookDecay, this.options.codebookPrior);
        rows = this.ema.update(ids, vectors, rows);
      }
      this.restartCodes(dead, vectors, rows, step);
      this.setCodebookRows(rows);
      return { codes: new Set(ids).size, restarted: dead.length };
    } finally {
      tf.dispose([p.indices, p.vectors]);
    }
  }

  /** The codebook's table as stored (before any normalisation), K x C row-major. */
  private async codebookRows(): Promise<Float32Array> {
    return Float32Array.from((await this.codebookTable().read().data()) as Float32Array);
  }

  private setCodebookRows(rows: Float32Array): void {
    const table = this.codebookTable();
    tf.tidy(() => {
      table.write(tf.tensor(rows, table.shape as number[], 'float32'));
    });
  }

  private codebookTable() {
    return this.model.quantizer!.embedding.namedWeights().get('weight')!;
  }

  /**
   * Sets the `dead` rows of `rows` to encoder vectors of this batch (every replica's: the
   * replicas agree on `dead`) picked by the training RNG.
   */
  private restartCodes(dead: number[], vectors: Float32Array, rows: Float32Array, step: number): void {
    const c = this.model.quantizer!.tokenSize;
    const m = vectors.length / c;
    for (const code of dead) {
      const src = this.rng.int(m);
      const v = vectors.subarray(src * c, (src + 1) * c);
      rows.set(v, code * c);
      this.ema?.restart(code, v);
      this.lastUsed[code] = step;
    }
  }

  protected override extraState(): Map<string, HostTensor> {
    return new Map([['code_last_used', { shape: [this.lastUsed.length], data: Float32Array.from(this.lastUsed) }], ...(this.ema?.state() ?? [])]);
  }

  protected override restoreExtra(tensors: ReadonlyMap<string, HostTensor>): void {
    const t = tensors.get('code_last_used');
    if (t) this.lastUsed = Float32Array.from(t.data);
    if (this.options.codebookUpdate === 'ema') this.ema = CodebookEma.fromState(tensors, this.options.codebookDecay, this.options.codebookPrior);
  }
}
