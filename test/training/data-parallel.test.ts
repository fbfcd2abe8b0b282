/**
 * Data-parallel training on real worker threads (Trainer.useReplicas with sharedMemoryReplica):
 * replicas stay bit-identical, match a single-process run up to float rounding, repeat exactly,
 * and a failing replica stops the group with its error instead of hanging. The workers run the
 * built packages (turbo builds them before this package's tests).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { abortReplicas, createReplicaBuffers } from '@titok/core';

const WORKER = path.join(__dirname, 'replica-worker.mjs');

interface ReplicaResult {
  index: number;
  log: Record<string, number>[];
  initial: Record<string, Float32Array>;
  weights: Record<string, Float32Array>;
}

/** Runs `count` replicas; resolves to their results in replica order, or rejects with the first failure. */
async function runReplicas(count: number, data: Record<string, unknown>): Promise<ReplicaResult[]> {
  const buffers = createReplicaBuffers(count, 1 << 16);
  const results: ReplicaResult[] = [];
  const failures: Error[] = [];
  await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const w = new Worker(WORKER, { workerData: { ...data, buffers, index, count } });
      return new Promise<void>((resolve) => {
        w.on('message', (m: ReplicaResult) => (results[m.index] = m));
        w.on('error', (e) => {
          failures.push(e);
          abortReplicas(buffers);
        });
        w.on('exit', () => resolve());
      });
    }),
  );
  if (failures.length) throw Object.assign(failures[0]!, { all: failures });
  return results;
}

/** L2 distance between two sets of weights. */
function distance(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a)).toEqual(Object.keys(b));
  let d = 0;
  for (const k of Object.keys(a)) a[k]!.forEach((x, i) => (d += (x - b[k]![i]!) ** 2));
  return Math.sqrt(d);
}

const bytesEqual = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
  Object.keys(a).every((k) => Buffer.from(a[k]!.buffer).equals(Buffer.from(b[k]!.buffer)));

describe.each([
  ['tokenizer', { seed: 11, steps: 6, batchSize: 4, learningRate: 3e-3, warmupSteps: 1, deadCodeSteps: 2 }],
  ['generator', { seed: 5, steps: 6, batchSize: 6, learningRate: 3e-3, warmupSteps: 1 }],
])('%s trained by two replicas', (kind, options) => {
  let single: ReplicaResult;
  let pair: ReplicaResult[];

  beforeAll(async () => {
    [single] = await runReplicas(1, { kind, options });
    pair = await runReplicas(2, { kind, options });
  });

  it('keeps the replicas identical, bit for bit', () => {
    expect(pair).toHaveLength(2);
    expect(bytesEqual(pair[0]!.weights, pair[1]!.weights)).toBe(true);
    expect(pair[0]!.log).toEqual(pair[1]!.log);
  });

  it('follows the single-process run up to float rounding', () => {
    const a = single!.log.map((e) => e.loss!);
    const b = pair[0]!.log.map((e) => e.loss!);
    expect(b).toHaveLength(options.steps);
    b.forEach((x, i) => expect(Math.abs(x - a[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(a[i]!))));
    // The combined gradient is the whole batch's (Adam alone would hide a wrong scale).
    pair[0]!.log.forEach((e, i) => expect(e.grad_norm! / single!.log[i]!.grad_norm!).toBeCloseTo(1, 3));
    // Weights: within 1% of how far training moved them (Adam magnifies rounding in tiny gradients).
    expect(bytesEqual(single!.initial, pair[0]!.initial)).toBe(true);
    const moved = distance(single!.initial, single!.weights);
    expect(moved).toBeGreaterThan(0.01);
    expect(distance(single!.weights, pair[0]!.weights)).toBeLessThan(0.01 * moved);
    if (kind === 'tokenizer') {
      // The dead-code restarts saw the whole batch: same counts as the single run.
      expect(pair[0]!.log.map((e) => [e.codes, e.restarted])).toEqual(single!.log.map((e) => [e.codes, e.restarted]));
    }
  });

  it('repeats exactly', async () => {
    const again = await runReplicas(2, { kind, options });
    expect(bytesEqual(again[0]!.weights, pair[0]!.weights)).toBe(true);
  });
});

describe('a failing replica', () => {
  it('stops the others with its error instead of leaving them waiting', async () => {
    const t0 = Date.now();
    const options = { seed: 11, steps: 6, batchSize: 4, learningRate: 3e-3, warmupSteps: 1 };
    const err = (await runReplicas(2, { kind: 'tokenizer', options, failAtStep: 3, failReplica: 1 }).catch((e) => e)) as Error & { all: Error[] };
    expect(err.message).toMatch(/replica 1 fails at step 3 on purpose/);
    expect(err.all).toHaveLength(2);
    expect(err.all[1]!.message).toMatch(/replica 0: the replica group was stopped/);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
