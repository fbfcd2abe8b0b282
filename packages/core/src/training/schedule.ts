/** A learning-rate schedule: linear warm-up, then cosine decay to `minScale`. */
export interface LrSchedule {
  /** Steps of linear warm-up from 0. */
  warmupSteps: number;
  /** Total steps; the cosine reaches `minScale` here. */
  totalSteps: number;
  /** Final factor (default 0.1). */
  minScale?: number;
}

/** The factor of the peak learning rate for 0-based `step`. */
export function lrScaleAt(schedule: LrSchedule, step: number): number {
  const { warmupSteps, totalSteps } = schedule;
  const min = schedule.minScale ?? 0.1;
  if (warmupSteps > 0 && step < warmupSteps) return (step + 1) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const t = Math.min(1, Math.max(0, (step - warmupSteps) / span));
  return min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * t));
}
