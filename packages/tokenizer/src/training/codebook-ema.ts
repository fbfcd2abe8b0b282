import type { HostTensor } from '@titok/core';

/**
 * Codebook updates by exponential moving averages (van den Oord et al., 2017, appendix; as in
 * VQ-VAE-2), kept on the host: each code's row becomes the decayed mean of the encoder vectors
 * assigned to it, instead of following the codebook loss's gradient.
 *
 * Every code starts with its initial row as `prior` vectors seen the step before (1 by default:
 * the first vector assigned to it moves it halfway), so a code nobody picks keeps its row, and
 * no row is ever divided by zero. All state is float32, so a checkpoint restores it exactly.
 */
export class CodebookEma {
  private constructor(
    /** Decayed number of vectors assigned to each code, K. */
    private readonly counts: Float32Array,
    /** Decayed sum of the vectors assigned to each code, K x C. */
    private readonly sums: Float32Array,
    /** C, the codes' dimension. */
    readonly dim: number,
    /** γ of the averages, in (0, 1). */
    readonly decay: number,
    /** How many vectors a code's initial or restarted row counts as. */
    readonly prior: number,
  ) {}

  /** Averages that start from the codebook's `rows` (K x C, row-major), each as `prior` vectors. */
  static fromRows(rows: Float32Array, dim: number, decay: number, prior = 1): CodebookEma {
    const w = (1 - decay) * prior;
    return new CodebookEma(new Float32Array(rows.length / dim).fill(w), rows.map((v) => v * w), dim, decay, prior);
  }

  /** The averages of a training checkpoint ({@link state}), or undefined when it has none. */
  static fromState(tensors: ReadonlyMap<string, HostTensor>, decay: number, prior = 1): CodebookEma | undefined {
    const counts = tensors.get('codebook_ema_counts');
    const sums = tensors.get('codebook_ema_sums');
    if (!counts || !sums) return undefined;
    return new CodebookEma(Float32Array.from(counts.data), Float32Array.from(sums.data), sums.shape[1]!, decay, prior);
  }
  /**
   * Folds in one step's assignments (`ids[i]` is the code of vector i of `vectors`, N x C) and
   * returns the new rows, K x C: sum / count for each code (a code whose count has decayed
   * towards float32's smallest values keeps its row of `current`, the codebook's rows now).
   */
  update(ids: ArrayLike<number>, vectors: Float32Array, current: Float32Array): Float32Array {
    const c = this.dim;
    const k = this.counts.length;
    const batchCounts = new Float64Array(k);
    const batchSums = new Float64Array(k * c);
    for (let i = 0; i < ids.length; i++) {
      const code = ids[i]!;
      batchCounts[code]! += 1;
      for (let j = 0; j < c; j++) batchSums[code * c + j]! += vectors[i * c + j]!;
    }
    const g = this.decay;
    const rows = new Float32Array(k * c);
    for (let code = 0; code < k; code++) {
      this.counts[code] = g * this.counts[code]! + (1 - g) * batchCounts[code]!;
      const n = this.counts[code]!;
      for (let j = 0; j < c; j++) {
        const at = code * c + j;
        this.sums[at] = g * this.sums[at]! + (1 - g) * batchSums[at]!;
        rows[at] = n > 1e-30 ? this.sums[at]! / n : current[at]!;
      }
    }
    return rows;
  }

  /** Restarts `code` at `vector` (weighing `prior` vectors, like a new code). */
  restart(code: number, vector: Float32Array): void {
    const w = (1 - this.decay) * this.prior;
    this.sums.set(vector.map((v) => v * w), code * this.dim);
    this.counts[code] = w;
  }

  /** The averages, for a training checkpoint. */
  state(): Map<string, HostTensor> {
    return new Map([
      ['codebook_ema_counts', { shape: [this.counts.length], data: Float32Array.from(this.counts) }],
      ['codebook_ema_sums', { shape: [this.counts.length, this.dim], data: Float32Array.from(this.sums) }],
    ]);
  }
}
