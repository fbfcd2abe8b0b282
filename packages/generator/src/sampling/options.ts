import { InputError } from '@titok/core';
import type { GuidanceDecay, SamplingDefaults } from '@titok/core';
import type { UniformSource } from './uniform-source.js';

/** What the sampler reports after every step. */
export interface GenerationProgress {
  status: 'step';
  /** The step just finished, from 0. */
  step: number;
  /** Number of steps S. */
  total: number;
  /** Token ids after this step, one row of L per sample; the mask id (K) marks undecided positions. */
  tokens: number[][];
  /** r = (step + 1) / S. */
  ratio: number;
  /** Gumbel temperature of this step. */
  temperature: number;
  /** Guidance scale of this step (0: the unconditional pass was skipped). */
  guidanceScale: number;
  /** Number of positions masked again (before the last step). */
  maskLength: number;
  /** The logits the picks were drawn from (after guidance and annealing), N x L x K; valid during the call only. */
  guidedLogits: Float32Array;
}

/**
 * Settings of a generation, in the style of transformers.js options. Every sampling setting
 * defaults to the generator's released default (`config.sampling`).
 */
export interface GenerateOptions {
  /** Number of sampling steps S (integer, at least 1). */
  numSteps?: number;
  /** Classifier-free guidance scale s (at least 0). */
  guidanceScale?: number;
  /** How the guidance scale changes over the steps. */
  guidanceDecay?: GuidanceDecay;
  /** Exponent p of the power-cosine schedule (default 3). */
  guidanceScalePow?: number;
  /** Gumbel temperature T at the start; it decays linearly to 0. */
  randomizeTemperature?: number;
  /** Divide the logits by 0.5 + 0.8 (1 − r), as the reference's ImageNet evaluation does. */
  softmaxTemperatureAnnealing?: boolean;
  /** Seed of the default Philox4x32-10 uniform source (default 0). Ignored when `uniforms` is given. */
  seed?: number | bigint;
  /** Replaces the seeded generator, e.g. with recorded draws (RecordedUniformSource). */
  uniforms?: UniformSource;
  /** Called after every step. */
  progress_callback?: (progress: GenerationProgress) => void;
  /** Cancels the generation (between steps) with a CancelledError. */
  signal?: AbortSignal;
}

/** Sampling settings after defaults are applied and checked. */
export type ResolvedSampling = SamplingDefaults;

const DECAYS: readonly GuidanceDecay[] = ['constant', 'linear', 'power-cosine'];

/**
 * Applies the defaults and checks every setting.
 *
 * @throws InputError naming the setting that is not acceptable
 */
export function resolveSampling(options: GenerateOptions, defaults: SamplingDefaults): ResolvedSampling {
  const s: ResolvedSampling = {
    numSteps: options.numSteps ?? defaults.numSteps,
    guidanceScale: options.guidanceScale ?? defaults.guidanceScale,
    guidanceDecay: options.guidanceDecay ?? defaults.guidanceDecay,
    guidanceScalePow: options.guidanceScalePow ?? defaults.guidanceScalePow,
    randomizeTemperature: options.randomizeTemperature ?? defaults.randomizeTemperature,
    softmaxTemperatureAnnealing: options.softmaxTemperatureAnnealing ?? defaults.softmaxTemperatureAnnealing,
  };
  if (!Number.isInteger(s.numSteps) || s.numSteps < 1) throw new InputError(`the number of steps must be an integer of at least 1, got ${s.numSteps}`);
  if (!Number.isFinite(s.guidanceScale) || s.guidanceScale < 0) throw new InputError(`the guidance scale must be a finite number >= 0, got ${s.guidanceScale}`);
  if (!DECAYS.includes(s.guidanceDecay)) throw new InputError(`the guidance decay must be one of ${DECAYS.join(', ')}, got '${s.guidanceDecay}'`);
  if (!Number.isFinite(s.guidanceScalePow)) throw new InputError(`the guidance scale exponent must be a finite number, got ${s.guidanceScalePow}`);
  if (!Number.isFinite(s.randomizeTemperature) || s.randomizeTemperature < 0) {
    throw new InputError(`the temperature must be a finite number >= 0, got ${s.randomizeTemperature}`);
  }
  if (typeof s.softmaxTemperatureAnnealing !== 'boolean') throw new InputError('softmaxTemperatureAnnealing must be true or false');
  return s;
}
