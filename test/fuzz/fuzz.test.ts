/**
 * CI fuzz test: 2,500 seeded mutations (bit flips, truncations, insertions, splices, header and
 * directory edits) of valid checkpoints of every format. Every input must be read or refused
 * with a one-line TitokError; a worker-thread watchdog turns a hang into a failure naming the
 * seed and iteration. `npm run fuzz` runs 100,000 with the same code.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runFuzz } = require('./run-worker.cjs') as {
  runFuzz(o: { seed: number; iterations: number; hangMs?: number }): Promise<{
    report?: { iterations: number; accepted: number; refused: Record<string, number>; failures: { iteration: number; file: string; steps: string[]; error: string }[] };
    hang?: { seed: number; iteration: number };
    crash?: string;
  }>;
};

const SEED = Number(process.env.FUZZ_SEED ?? 20241128);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 2500);

describe('fuzzing the checkpoint readers', () => {
  it(`survives ${ITERATIONS} mutations (seed ${SEED}) with typed errors only, no hang`, async () => {
    const result = await runFuzz({ seed: SEED, iterations: ITERATIONS, hangMs: 20000 });
    expect(result.hang).toBeUndefined();
    expect(result.crash).toBeUndefined();
    const r = result.report!;
    expect(r.iterations).toBe(ITERATIONS);
    expect(r.failures.map((f) => `iteration ${f.iteration} (${f.file}; ${f.steps.join(', ')}): ${f.error.split('\n')[0]}`)).toEqual([]);
    // the mutations reach both outcomes, and the pickle allow-list
    expect(r.accepted).toBeGreaterThan(ITERATIONS / 50);
    expect(r.refused.FORMAT).toBeGreaterThan(ITERATIONS / 2);
    expect(r.refused.UNSAFE_PICKLE).toBeGreaterThan(0);
  });
});
