import { CodebookEma } from './codebook-ema.js';

// Three codes of two dimensions.
const ROWS = Float32Array.from([1, 0, 0, 1, -1, 0]);

describe('CodebookEma', () => {
  it('moves each chosen row to the decayed mean of its vectors; unchosen rows stay', () => {
    const ema = CodebookEma.fromRows(ROWS, 2, 0.5);
    // Code 1 gets two vectors, code 0 one, code 2 none.
    const rows = ema.update([1, 1, 0], Float32Array.from([0, 3, 2, 1, 5, 5]), ROWS);
    // Code 0: (0.5·[1, 0] + 0.5·[5, 5]) / (0.5 + 0.5·1) = [3, 2.5].
    // Code 1: (0.5·[0, 1] + 0.5·[2, 4]) / (0.5 + 0.5·2) = [2/3, 5/3].
    expect(Array.from(rows)).toEqual(Array.from(Float32Array.from([3, 2.5, 2 / 3, 5 / 3, -1, 0])));
    // A second step decays the first: code 1 now has count 0.5·1.5 = 0.75 and sum 0.5·[1, 2.5].
    const next = ema.update([2], Float32Array.from([1, 1]), rows);
    expect(next[2]).toBeCloseTo(0.5 / 0.75, 6);
    expect(next[3]).toBeCloseTo(1.25 / 0.75, 6);
    // Code 2: count 0.25 (its prior, decayed twice) + 0.5 = 0.75,
    // sum 0.25·[-1, 0] + 0.5·[1, 1] = [0.25, 0.5].
    expect(next[4]).toBeCloseTo(0.25 / 0.75, 6);
    expect(next[5]).toBeCloseTo(0.5 / 0.75, 6);
  });

  it('restarts a code as one fresh vector', () => {
    const ema = CodebookEma.fromRows(ROWS, 2, 0.5);
    ema.update([0, 0, 0], Float32Array.from([1, 1, 1, 1, 1, 1]), ROWS);
    ema.restart(0, Float32Array.from([0, -2]));
    // Count 1 and sum [0, -2] again: an unchosen step keeps the restarted row.
    expect(Array.from(ema.update([1], Float32Array.from([0, 1]), ROWS).subarray(0, 2))).toEqual([0, -2]);
  });

  it('state() restores exactly: a restored copy continues as the original', () => {
    const a = CodebookEma.fromRows(ROWS, 2, 0.9);
    a.update([0, 2, 2], Float32Array.from([0.3, 0.1, 0.7, 0.2, 0.11, 0.5]), ROWS);
    const b = CodebookEma.fromState(a.state(), 0.9)!;
    expect(b.dim).toBe(2);
    const step = [1, 2];
    const v = Float32Array.from([0.25, 0.5, 0.125, 0.75]);
    expect(Array.from(b.update(step, v, ROWS))).toEqual(Array.from(a.update(step, v, ROWS)));
    expect(CodebookEma.fromState(new Map(), 0.9)).toBeUndefined();
  });

  it('a code whose count has decayed to almost nothing keeps its current row', () => {
    const ema = CodebookEma.fromRows(ROWS, 2, 1e-20);
    const current = Float32Array.from([7, 7, 8, 8, 9, 9]);
    ema.update([0], Float32Array.from([1, 1]), ROWS);
    // Codes 1 and 2: count 1e-20, then 1e-40 (below the cut-off): rows come from `current`.
    const rows = ema.update([0], Float32Array.from([1, 1]), current);
    expect(Array.from(rows.subarray(2))).toEqual([8, 8, 9, 9]);
    expect(Array.from(rows.subarray(0, 2))).toEqual([1, 1]);
  });
});
