import { InputError, throwIfAborted } from '@titok/core';
import type { SamplingDefaults } from '@titok/core';
import { guideLogits, maskgitStep } from './maskgit-step.js';
import { resolveSampling } from './options.js';
import type { GenerateOptions, ResolvedSampling } from './options.js';
import { annealingDivisor, guidanceScaleAt, maskLength, stepRatio, stepTemperature } from '@titok/core';
import { PhiloxUniformSource } from './uniform-source.js';
import type { UniformDraw, UniformSource } from './uniform-source.js';

/**
 * What the sampler needs from a generator network: logits for a batch of token sequences.
 * The token space is the spec's: 0..K-1 image tokens, K the mask, K+1+y class y, K+1+Y no class.
 */
export interface LogitsModel {
  /** K. */
  readonly codebookSize: number;
  /** L. */
  readonly imageSeqLen: number;
  /** Y. */
  readonly numClasses: number;
  /**
   * Logits over the K image tokens at the L image positions, B x L x K, for B sequences
   * [classTokens[b], ids[b, 0..L)] (ids: B x L, row-major).
   */
  logits(ids: Int32Array, classTokens: Int32Array): Promise<Float32Array>;
}

/** One finished sampling step, as {@link SamplingResult.steps} records it. */
export interface StepRecord {
  step: number;
  ratio: number;
  temperature: number;
  guidanceScale: number;
  maskLength: number;
  /** Ids after the step, N x L (mask id K where undecided). */
  ids: Int32Array;
}

/** The result of {@link sampleMaskGit}. */
export interface SamplingResult {
  /** Final token ids, N x L, row-major, every one in [0, K). */
  ids: Int32Array;
  /** [N, L]. */
  shape: [number, number];
  /** The settings used. */
  settings: ResolvedSampling;
  steps: StepRecord[];
}

async function draw(source: UniformSource, d: UniformDraw): Promise<Float32Array> {
  const u = await source.next(d);
  const size = d.shape.reduce((a, b) => a * b, 1);
  if (!(u instanceof Float32Array) || u.length !== size) {
    throw new InputError(`the uniform source gave ${u?.length ?? 'no'} numbers for step ${d.step}'s ${d.kind} draw, which needs ${size}`);
  }
  for (let i = 0; i < u.length; i++) {
    if (!(u[i]! >= 0 && u[i]! < 1)) throw new InputError(`the uniform source gave ${u[i]} (not in [0, 1)) in step ${d.step}'s ${d.kind} draw`);
  }
  return u;
}

function rows(ids: Int32Array, n: number, L: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(ids.subarray(i * L, (i + 1) * L)));
}

/**
 * Class-conditional MaskGIT sampling, exactly as the reference `generate()` (spec section 6):
 * start from all-mask ids, and at every step run the network (with and without the class as
 * one batch of 2N when guidance is on), guide, optionally anneal, pick tokens with Gumbel noise
 * from the first uniform draw, and mask again the least confident positions using the second.
 *
 * @param model - the network (or anything giving logits)
 * @param labels - one class index per sample, in [0, numClasses)
 * @param defaults - the generator's released sampling settings
 * @throws InputError for a bad label or setting; CancelledError when `options.signal` aborts
 */
export async function sampleMaskGit(
  model: LogitsModel,
  labels: readonly number[],
  defaults: SamplingDefaults,
  options: GenerateOptions = {},
): Promise<SamplingResult> {
  const settings = resolveSampling(options, defaults);
  const { codebookSize: K, imageSeqLen: L, numClasses: Y } = model;
  const n = labels.length;
  if (n === 0) throw new InputError('no class labels: give at least one');
  labels.forEach((y) => {
    if (!Number.isInteger(y) || y < 0 || y >= Y) throw new InputError(`class label ${y} is out of range: this generator has classes 0..${Y - 1}`);
  });
  const uniforms = options.uniforms ?? new PhiloxUniformSource(options.seed ?? 0);
  const S = settings.numSteps;
  const maskId = K;
  const condTokens = Int32Array.from(labels, (y) => K + 1 + y);
  const bothTokens = new Int32Array(2 * n);
  bothTokens.set(condTokens);
  bothTokens.fill(K + 1 + Y, n);
  const powerCosine = settings.guidanceDecay === 'power-cosine';
  let ids: Int32Array = new Int32Array(n * L).fill(maskId);
  const steps: StepRecord[] = [];
  throwIfAborted(options.signal);
  for (let step = 0; step < S; step++) {
    const ratio = stepRatio(step, S);
    const temperature = stepTemperature(settings.randomizeTemperature, step, S);
    const scale = guidanceScaleAt(settings.guidanceDecay, settings.guidanceScale, step, S, settings.guidanceScalePow);
    let logits: Float32Array<ArrayBufferLike>;
    if (scale !== 0) {
      const both = new Int32Array(2 * n * L);
      both.set(ids);
      both.set(ids, n * L);
      const out = await model.logits(both, bothTokens);
      throwIfAborted(options.signal);
      const size = n * L * K;
      logits = guideLogits(out.subarray(0, size), out.subarray(size, 2 * size), scale, powerCosine, undefined);
    } else {
      logits = (await model.logits(ids, condTokens)).slice();
      throwIfAborted(options.signal);
    }
    if (settings.softmaxTemperatureAnnealing) guideLogits(logits, undefined, 0, false, annealingDivisor(step, S), logits);
    const uniformLogits = await draw(uniforms, { step, kind: 'logits', shape: [n, L, K] });
    const uniformConfidence = await draw(uniforms, { step, kind: 'confidence', shape: [n, L] });
    let maskedBefore = 0;
    for (let l = 0; l < L; l++) if (ids[l] === maskId) maskedBefore++;
    const len = maskLength(L, step, S, maskedBefore);
    ids = maskgitStep({
      n, seqLen: L, codebookSize: K, maskId, ids, logits, uniformLogits, uniformConfidence, temperature, maskLength: len, last: step === S - 1,
    });
    steps.push({ step, ratio, temperature, guidanceScale: scale, maskLength: len, ids: ids.slice() });
    options.progress_callback?.({
      status: 'step', step, total: S, tokens: rows(ids, n, L), ratio, temperature, guidanceScale: scale, maskLength: len, guidedLogits: logits,
    });
    throwIfAborted(options.signal);
  }
  return { ids, shape: [n, L], settings, steps };
}
