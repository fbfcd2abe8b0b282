import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CancelledError, InputError } from '../errors/index.js';
import { combineReplicaGradients } from './replica-gradients.js';
import { abortReplicas, createReplicaBuffers, sharedMemoryReplica } from './replicas.js';
import type { ReplicaGroup } from './replicas.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sharedMemoryReplica (one thread; the two-thread runs are in test/training)', () => {
  it('gathers a single replica\'s values as a copy', async () => {
    const group = sharedMemoryReplica(createReplicaBuffers(1, 8), 0);
    const v = Float32Array.of(1, -2, 3.5);
    const out = await group.allGather(v);
    expect([...out]).toEqual([1, -2, 3.5]);
    expect(out).not.toBe(v);
    expect([...(await group.allGather(Float32Array.of(7)))]).toEqual([7]);
  });

  it('rejects bad sizes and indices with a message that names them', () => {
    expect(() => createReplicaBuffers(0, 8)).toThrow(InputError);
    expect(() => createReplicaBuffers(2, 1.5)).toThrow(/capacity must be a positive integer, got 1.5/);
    expect(() => sharedMemoryReplica(createReplicaBuffers(2, 8), 2)).toThrow(/replica index 2 is outside 0..1/);
  });

  it('stops the whole group when a gather does not fit, and after abortReplicas', async () => {
    const buffers = createReplicaBuffers(1, 4);
    const group = sharedMemoryReplica(buffers, 0);
    await expect(group.allGather(new Float32Array(5))).rejects.toThrow(/5 values to gather, the replica buffers hold 4/);
    await expect(group.allGather(new Float32Array(2))).rejects.toThrow(CancelledError);

    const other = createReplicaBuffers(1, 4);
    abortReplicas(other);
    await expect(sharedMemoryReplica(other, 0).allGather(new Float32Array(1))).rejects.toThrow(/the replica group was stopped/);
  });

  it('gives up on replicas that never arrive instead of hanging', async () => {
    const buffers = createReplicaBuffers(2, 4);
    const t0 = Date.now();
    await expect(sharedMemoryReplica(buffers, 0, { timeoutMs: 50 }).allGather(new Float32Array(1))).rejects.toThrow(/did not arrive within 0.05 s/);
    expect(Date.now() - t0).toBeLessThan(2000);
    // ... and the group is stopped for the late one.
    await expect(sharedMemoryReplica(buffers, 1).allGather(new Float32Array(1))).rejects.toThrow(CancelledError);
  });
});

/** A stand-in for `count` replicas: this one is `index`, the others sent `others` (in order). */
function fakeGroup(index: number, others: Float32Array[]): ReplicaGroup {
  return {
    index,
    count: others.length + 1,
    async allGather(mine) {
      const parts = [...others];
      parts.splice(index, 0, mine);
      const out = new Float32Array(parts.length * mine.length);
      parts.forEach((p, r) => out.set(p, r * mine.length));
      return out;
    },
  };
}

describe('combineReplicaGradients', () => {
  const mine = () => ({
    grads: new Map<string, tf.Tensor>([
      ['a', tf.tensor2d([[1, 2]])],
      ['b', tf.tensor1d([3])],
    ]),
    losses: { loss: 2, mse: 1 },
    gradNorm: 0,
    weight: 1,
  });

  it('takes the weighted mean of gradients and losses, in replica order, and the norm of the mean', async () => {
    const before = tf.memory().numTensors;
    // The other replica's message: gradients a, b; losses loss, mse; its weight.
    const g = mine();
    await combineReplicaGradients(fakeGroup(1, [Float32Array.of(5, 6, 7, 6, 3, 3)]), g);
    expect(g.grads.get('a')!.shape).toEqual([1, 2]);
    expect([...(await g.grads.get('a')!.data())]).toEqual([4, 5]); // (1·1 + 3·5) / 4, (2 + 18) / 4
    expect([...(await g.grads.get('b')!.data())]).toEqual([6]);
    expect(g.losses).toEqual({ loss: 5, mse: 2.5 });
    expect(g.weight).toBe(4);
    expect(g.gradNorm).toBeCloseTo(Math.sqrt(16 + 25 + 36), 5);
    tf.dispose([...g.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clips the combined gradients to clipNorm', async () => {
    const g = mine();
    await combineReplicaGradients(fakeGroup(0, [Float32Array.of(1, 2, 3, 2, 1, 1)]), g, 1);
    const norm = Math.sqrt(1 + 4 + 9);
    expect(g.gradNorm).toBeCloseTo(norm, 5);
    const a = await g.grads.get('a')!.data();
    expect(a[0]).toBeCloseTo(1 / norm, 6);
    expect(a[1]).toBeCloseTo(2 / norm, 6);
    tf.dispose([...g.grads.values()]);
  });
});
