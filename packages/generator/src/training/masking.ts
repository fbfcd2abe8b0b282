import type { TrainingRng } from '@titok/core';

/**
 * MaskGIT's arccos masking schedule: for r ~ U(0, 1), the fraction of tokens masked is
 * arccos(r) / (π/2), clamped to [minRatio, 1] (more masked tokens are more likely, as the
 * sampler spends more steps with many tokens masked). The count is round(L · ratio), at least 1.
 */
export function arccosMaskCount(r: number, seqLen: number, minRatio = 0): number {
  const ratio = Math.min(1, Math.max(minRatio, 1e-6, Math.acos(r) / (Math.PI / 2)));
  return Math.max(1, Math.round(seqLen * ratio));
}

/**
 * Which positions of one sequence of `seqLen` tokens to mask: `count` distinct positions drawn
 * uniformly (a partial Fisher-Yates shuffle with `rng`). Returns a 0/1 array.
 */
export function maskPositions(rng: TrainingRng, seqLen: number, count: number): Uint8Array {
  const order = Array.from({ length: seqLen }, (_, i) => i);
  const mask = new Uint8Array(seqLen);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(seqLen - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
    mask[order[i]!] = 1;
  }
  return mask;
}
