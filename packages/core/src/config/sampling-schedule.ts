/** The MaskGIT sampler's per-step schedules (pure numbers; the generator's sampler and the FLOP counter share them). */
import type { GuidanceDecay } from './types.js';

const f32 = Math.fround;
const PI_F32 = f32(Math.PI);

/** r = (step + 1) / S, the fraction of the schedule done after this step (float64, as Python). */
export function stepRatio(step: number, numSteps: number): number {
  return (1 * (step + 1)) / numSteps;
}

/** The Gumbel temperature of a step: T · (1 − r) (float64, as Python). */
export function stepTemperature(randomizeTemperature: number, step: number, numSteps: number): number {
  return randomizeTemperature * (1.0 - stepRatio(step, numSteps));
}

/** The softmax-temperature annealing divisor 0.5 + 0.8 · (1 − r) (float64, as Python). */
export function annealingDivisor(step: number, numSteps: number): number {
  return 0.5 + 0.8 * (1 - stepRatio(step, numSteps));
}

/**
 * The power-cosine guidance scale of a step, (s − 1) · (1 − cos(π · (step/S)^p)) / 2 + 1,
 * evaluated in float32 the way the reference does (a float32 tensor `p`, so every operation
 * after the division step/S rounds to float32).
 */
export function powerCosineScale(guidanceScale: number, step: number, numSteps: number, pow: number): number {
  const base = f32(step / numSteps);
  const powed = f32(Math.pow(base, f32(pow)));
  const angle = f32(powed * PI_F32);
  const oneMinusCos = f32(1 - f32(Math.cos(angle)));
  const half = f32(oneMinusCos / 2);
  return f32(f32(f32(guidanceScale - 1) * half) + 1);
}

/**
 * Guidance scale in effect at `step`, given the schedule: constant → s; linear → r_{step-1} · s
 * (0 at step 0: the scale is updated after each step); power-cosine → {@link powerCosineScale}.
 */
export function guidanceScaleAt(decay: GuidanceDecay, guidanceScale: number, step: number, numSteps: number, pow: number): number {
  switch (decay) {
    case 'constant':
      return guidanceScale;
    case 'linear':
      return step === 0 ? 0 : stepRatio(step - 1, numSteps) * guidanceScale;
    case 'power-cosine':
      return powerCosineScale(guidanceScale, step, numSteps, pow);
  }
}

/**
 * How many positions to mask again after a step: floor(L · arccos(r) / (π/2)), at least 1
 * and at most `maskedBefore` − 1, where `maskedBefore` is the number of masked positions of
 * batch element 0 before the step (the reference uses element 0's count for the whole batch).
 */
export function maskLength(seqLen: number, step: number, numSteps: number, maskedBefore: number): number {
  const ratio = Math.acos(stepRatio(step, numSteps)) / (Math.PI * 0.5);
  const n = Math.floor(seqLen * ratio);
  return Math.max(1, Math.min(maskedBefore - 1, n));
}
