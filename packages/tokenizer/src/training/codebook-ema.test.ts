import { CodebookEma } from './codebook-ema.js';

// Three codes of two dimensions.
const ROWS = Float32Array.from([1, 0, 0, 1, -1, 0]);

describe('CodebookEma', () => {
  it('moves each chosen row to the decayed mean of its vectors; unchosen rows stay', () => {
    // γ = 0.5: each initial row counts as one vector of the step before (count 0.5, sum 0.5·row).
    const ema = CodebookEma.fromRows(ROWS, 2, 0.5);
    // Code 1 gets two vectors, code 0 one, code 2 none.
    const rows = ema.update([1, 1, 0], Float32Array.from([0, 3, 2, 1, 5, 5]), ROWS);
    // Code 0: count 0.25 + 0.5 = 0.75, sum 0.25·[1, 0] + 0.5·[5, 5] = [2.75, 2.5].
    // Code 1: count 0.25 + 0.5·2 = 1.25, sum 0.25·[0, 1] + 0.5·[2, 4] = [1, 2.25].
    const expected = [2.75 / 0.75, 2.5 / 0.75, 1 / 1.25, 2.25 / 1.25, -1, 0];
    expected.forEach((v, i) => expect(rows[i]).toBeCloseTo(v, 6));
    // A second step decays the first: code 1 (none this time) keeps its row; code 2 gets [1, 1]:
    // count 0.125 + 0.5, sum 0.125·[-1, 0] + 0.5·[1, 1].
    const next = ema.update([2], Float32Array.from([1, 1]), rows);
    expect(next[2]).toBeCloseTo(0.8, 6);
    expect(next[3]).toBeCloseTo(1.8, 6);
    expect(next[4]).toBeCloseTo(0.375 / 0.625, 6);
    expect(next[5]).toBeCloseTo(0.5 / 0.625, 6);
  });

  it('weighs the initial rows as `prior` vectors', () => {
    // Prior 3 at γ = 0.5: count 1.5 decays to 0.75; one vector adds 0.5.
    const rows = CodebookEma.fromRows(ROWS, 2, 0.5, 3).update([0], Float32Array.from([6, 6]), ROWS);
    expect(rows[0]).toBeCloseTo((0.75 * 1 + 0.5 * 6) / 1.25, 6);
    expect(rows[1]).toBeCloseTo((0.5 * 6) / 1.25, 6);
  });

  it('restarts a code as `prior` fresh vectors', () => {
    const ema = CodebookEma.fromRows(ROWS, 2, 0.5);
    ema.update([0, 0, 0], Float32Array.from([1, 1, 1, 1, 1, 1]), ROWS);
    ema.restart(0, Float32Array.from([0, -2]));
    // One prior vector at [0, -2] again: an unchosen step keeps the restarted row.
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
    // Codes 1 and 2: count (1 - 1e-20)·1e-20, then ~1e-40 (below the cut-off): rows come from `current`.
    const rows = ema.update([0], Float32Array.from([1, 1]), current);
    expect(Array.from(rows.subarray(2))).toEqual([8, 8, 9, 9]);
    expect(Array.from(rows.subarray(0, 2))).toEqual([1, 1]);
  });
});
