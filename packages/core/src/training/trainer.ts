import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, InputError } from '../errors/index.js';
import type { TitokLayer, WeightEntry } from '../layers/titok-layer.js';
import { AdamW } from './adamw.js';
import type { AdamWOptions } from './adamw.js';
import { optimizerState, optimizerTensors, prefixed, restoreWeights, snapshotWeights, unprefixed } from './checkpoint.js';
import type { HostTensor, TrainingCheckpoint, TrainingLogEntry } from './checkpoint.js';
import { ensureTrainingKernels } from './gradient-kernels.js';
import { disposeGradients, lossGradients } from './gradients.js';
import type { LossOutput } from './gradients.js';
import { combineReplicaGradients } from './replica-gradients.js';
import type { ReplicaGroup } from './replicas.js';
import { TrainingRng } from './rng.js';
import { lrScaleAt } from './schedule.js';

/** Settings every trainer shares. */
export interface TrainerOptions {
  /** Seed of the weights' initialisation, the data order and every random choice of training. */
  seed: number;
  /** Total number of updates (the learning-rate schedule ends here). */
  steps: number;
  /** Examples per update. */
  batchSize: number;
  /** Peak learning rate (default 1e-3). */
  learningRate?: number;
  /** Linear warm-up steps (default 5% of `steps`). */
  warmupSteps?: number;
  /** Final learning rate as a fraction of the peak (cosine decay; default 0.1). */
  minLrScale?: number;
  /** AdamW decoupled weight decay (default 1e-4). */
  weightDecay?: number;
  /** AdamW betas (default 0.9, 0.99). */
  beta1?: number;
  beta2?: number;
  /** Clip the gradients to this global L2 norm (default 1; 0 = no clipping). */
  clipNorm?: number;
}

/** The share of a batch one replica computes: examples [start, end) of the batch. */
export interface BatchShare {
  start: number;
  end: number;
}

/** Progress of {@link Trainer.train}: each step's log entry. */
export type TrainingProgressCallback = (entry: TrainingLogEntry) => void;

/** Options of {@link Trainer.train}. */
export interface TrainRunOptions {
  /** Stop after this step (default: the run's `steps`). */
  until?: number;
  progress_callback?: TrainingProgressCallback;
  /** Call `onCheckpoint` every this many steps (and at the end). */
  checkpointEvery?: number;
  /** Receives checkpoints (save them with @titok/io's `saveTrainingCheckpoint`). */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => Promise<void> | void;
  signal?: AbortSignal;
}

/**
 * The training loop shared by the tokenizer and generator trainers: seeded data order (epoch e
 * visits the examples in the permutation drawn by `rng.derive(e)`), AdamW with warm-up and cosine
 * decay, gradient clipping, the loss log, and checkpoints that resume bit for bit. Subclasses
 * give the loss of a batch and any extra state.
 */
export abstract class Trainer<O extends TrainerOptions = TrainerOptions> {
  readonly options: Required<TrainerOptions> & O;
  readonly history: TrainingLogEntry[] = [];
  protected rng: TrainingRng;
  protected readonly optimizer: AdamW;
  protected readonly params: Map<string, tf.Variable>;
  private steps = 0;
  private elapsedBefore = 0;
  private order?: { epoch: number; perm: Int32Array };
  private replicas?: ReplicaGroup;
  private readonly configSource: Record<string, unknown>;

  /** `config` is the model's config.json (kept as a copy; see {@link Trainer.configJson}). */
  protected constructor(
    readonly kind: string,
    readonly network: TitokLayer,
    readonly datasetSize: number,
    options: O,
    config: Record<string, unknown>,
  ) {
    ensureTrainingKernels();
    if (!(datasetSize > 0)) throw new InputError('the training set is empty');
    for (const k of ['steps', 'batchSize'] as const) {
      if (!Number.isInteger(options[k]) || options[k] < 1) throw new InputError(`${k} must be a positive integer, got ${options[k]}`);
    }
    this.options = {
      learningRate: 1e-3,
      warmupSteps: Math.round(options.steps * 0.05),
      minLrScale: 0.1,
      weightDecay: 1e-4,
      beta1: 0.9,
      beta2: 0.99,
      clipNorm: 1,
      ...options,
    };
    this.rng = new TrainingRng(options.seed);
    this.params = new Map([...network.namedWeights()].map(([k, v]) => [k, v.read() as tf.Variable]));
    const o = this.options;
    this.optimizer = new AdamW({ learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, weightDecay: o.weightDecay });
    this.configSource = structuredClone(config);
  }

  /** Updates applied so far. */
  get step(): number {
    return this.steps;
  }

  /**
   * The loss of examples `share` of a batch (`indices`: the whole batch's training-set indices),
   * inside the gradient tape. Without replicas the share is the whole batch. Per-example random
   * draws should be made for the whole batch, so that every replica's RNG stays in step and the
   * draws are those of a single-process run.
   */
  protected abstract loss(indices: Int32Array, share: BatchShare): LossOutput;

  /**
   * Called after each update with the step just done (e.g. to restart dead codes); may return
   * extra numbers for the step's log entry.
   */
  protected async afterStep(_step: number): Promise<Record<string, number> | void> {}

  /**
   * The parameters the update of 0-based `step` trains (default: all). The others keep their
   * values and optimizer moments, and no gradient is computed for them.
   */
  protected trainableParams(_step: number): ReadonlyMap<string, tf.Variable> {
    return this.params;
  }

  /** Extra tensors and settings to save; restored by {@link Trainer.restoreExtra}. */
  protected extraState(): Map<string, HostTensor> {
    return new Map();
  }

  protected restoreExtra(_tensors: ReadonlyMap<string, HostTensor>): void {}

  /**
   * Makes this trainer replica `group.index` of `group.count` data-parallel replicas: each
   * computes the gradients of its share of every batch and all apply the combined update (see
   * {@link ReplicaGroup}). Every replica must be built from the same config, options and
   * checkpoint. Results are deterministic for a seed and a replica count (they differ from a
   * single-process run's in float rounding only).
   *
   * @throws InputError when the batch does not split evenly
   */
  useReplicas(group: ReplicaGroup): void {
    if (this.options.batchSize % group.count) throw new InputError(`a batch of ${this.options.batchSize} does not split evenly over ${group.count} replicas`);
    this.replicas = group;
  }

  /** Every replica's `values` in replica order ({@link ReplicaGroup.allGather}); just `values` without replicas. */
  protected async gather(values: Float32Array): Promise<Float32Array> {
    return this.replicas ? this.replicas.allGather(values) : values;
  }

  /** The training-set indices of the batch of 0-based `step`. */
  batchIndices(step: number): Int32Array {
    const n = this.datasetSize;
    const b = this.options.batchSize;
    const out = new Int32Array(b);
    for (let j = 0; j < b; j++) {
      const i = step * b + j;
      const epoch = Math.floor(i / n);
      if (this.order?.epoch !== epoch) this.order = { epoch, perm: this.rng.derive(epoch).permutation(n) };
      out[j] = this.order.perm[i - epoch * n]!;
    }
    return out;
  }

  /** One update. Returns its log entry (also appended to `history`). */
  async trainStep(): Promise<TrainingLogEntry> {
    const t0 = performance.now();
    const s = this.steps;
    const lrScale = lrScaleAt({ warmupSteps: this.options.warmupSteps, totalSteps: this.options.steps, minScale: this.options.minLrScale }, s);
    const indices = this.batchIndices(s);
    const clipNorm = this.options.clipNorm || undefined;
    const r = this.replicas;
    const share = r ? { start: (r.index * indices.length) / r.count, end: ((r.index + 1) * indices.length) / r.count } : { start: 0, end: indices.length };
    // Replicas clip after combining: the norm is the whole batch's.
    const g = await lossGradients(this.trainableParams(s), () => this.loss(indices, share), { clipNorm: r ? undefined : clipNorm });
    try {
      if (r) await combineReplicaGradients(r, g, clipNorm);
      if (!Number.isFinite(g.losses.loss!)) throw new InputError(`training diverged at step ${s + 1}: the loss is ${g.losses.loss}`);
      this.optimizer.apply(this.params, g.grads, lrScale);
    } finally {
      disposeGradients(g);
    }
    this.steps = s + 1;
    const extra = await this.afterStep(this.steps);
    this.elapsedBefore += (performance.now() - t0) / 1000;
    const entry: TrainingLogEntry = { step: this.steps, losses: { ...g.losses, grad_norm: g.gradNorm, ...(extra ?? {}) }, lr: this.options.learningRate * lrScale, elapsed: this.elapsedBefore };
    this.history.push(entry);
    return entry;
  }

  /** Trains up to `until` (default: all steps), reporting progress and handing out checkpoints. */
  async train(run: TrainRunOptions = {}): Promise<TrainingLogEntry[]> {
    const until = Math.min(run.until ?? this.options.steps, this.options.steps);
    const out: TrainingLogEntry[] = [];
    while (this.steps < until) {
      if (run.signal?.aborted) throw new CancelledError('training was cancelled');
      const e = await this.trainStep();
      out.push(e);
      run.progress_callback?.(e);
      const every = run.checkpointEvery;
      if (run.onCheckpoint && ((every && this.steps % every === 0) || this.steps === until)) await run.onCheckpoint(await this.checkpoint());
    }
    return out;
  }

  /** Everything needed to resume (see {@link TrainingCheckpoint}). */
  async checkpoint(config: Record<string, unknown> = this.configJson()): Promise<TrainingCheckpoint> {
    const tensors = new Map<string, HostTensor>([
      ...prefixed('model.', await snapshotWeights(this.network)),
      ...(await optimizerTensors(await this.optimizer.state(), this.entries())),
      ...prefixed('extra.', this.extraState()),
    ]);
    return {
      format: 'titok-training-checkpoint',
      version: 1,
      kind: this.kind,
      step: this.steps,
      rng: this.rng.state(),
      optimizer: { options: this.optimizer.options, step: this.optimizer.step },
      config,
      settings: { ...this.options } as unknown as Record<string, unknown>,
      history: this.history.map((e) => ({ ...e, losses: { ...e.losses } })),
      elapsed: this.elapsedBefore,
      tensors,
    };
  }

  /** The model's config.json, saved in checkpoints (a copy). */
  configJson(): Record<string, unknown> {
    return structuredClone(this.configSource);
  }

  /**
   * Puts a checkpoint's state into this freshly built trainer (same config and options).
   *
   * @throws InputError when the checkpoint is for something else
   */
  protected async restore(ckpt: TrainingCheckpoint): Promise<void> {
    if (ckpt.format !== 'titok-training-checkpoint' || ckpt.kind !== this.kind) {
      throw new InputError(`not a ${this.kind} training checkpoint (format ${ckpt.format}, kind ${ckpt.kind})`);
    }
    restoreWeights(this.network, unprefixed('model.', ckpt.tensors));
    this.optimizer.setState(await optimizerState(ckpt.optimizer.step, ckpt.tensors, this.entries()), this.params);
    if (ckpt.rng.seed !== this.rng.seed) throw new InputError(`checkpoint seed ${ckpt.rng.seed} differs from the trainer's ${this.rng.seed}`);
    this.rng = TrainingRng.fromState(ckpt.rng);
    this.steps = ckpt.step;
    this.elapsedBefore = ckpt.elapsed;
    this.history.splice(0, this.history.length, ...ckpt.history);
    this.restoreExtra(unprefixed('extra.', ckpt.tensors));
  }

  private entries(): Map<string, WeightEntry> {
    return new Map(this.network.weightEntries().map((e) => [e.key, e]));
  }

  /** Frees the optimiser state (the network belongs to the caller). */
  disposeOptimizer(): void {
    this.optimizer.dispose();
  }

  /** Frees the network and the optimiser state. */
  dispose(): void {
    this.disposeOptimizer();
    this.network.disposeAll();
  }
}
