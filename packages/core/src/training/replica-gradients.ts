import * as tf from '@tensorflow/tfjs-core';
import type { LossGradients } from './gradients.js';
import type { ReplicaGroup } from './replicas.js';

/**
 * Turns each replica's {@link LossGradients} (of its share of the batch, unclipped) into those of
 * the whole batch, in place: gradients and losses become the replicas' mean weighted by their
 * `weight` (what each share's loss averages over), summed in replica order so that every replica
 * gets the same bits; then the global norm is taken and the gradients clipped to `clipNorm`.
 * The tensors it replaces are disposed.
 */
export async function combineReplicaGradients(group: ReplicaGroup, g: LossGradients, clipNorm?: number): Promise<void> {
  const keys = [...g.grads.keys()];
  const tensors = keys.map((k) => g.grads.get(k)!);
  const lossKeys = Object.keys(g.losses);
  const size = tensors.reduce((s, t) => s + t.size, 0);
  // One message per replica: the gradients, the losses, the weight.
  const mine = new Float32Array(size + lossKeys.length + 1);
  let offset = 0;
  for (const t of tensors) {
    mine.set((await t.data()) as Float32Array, offset);
    offset += t.size;
  }
  lossKeys.forEach((k, i) => (mine[size + i] = g.losses[k]!));
  mine[mine.length - 1] = g.weight;
  const all = await group.allGather(mine);

  const n = mine.length;
  const weights = Array.from({ length: group.count }, (_, r) => all[r * n + n - 1]!);
  const total = weights.reduce((a, w) => a + w, 0);
  const mean = new Float32Array(n - 1);
  let normSq = 0;
  for (let i = 0; i < n - 1; i++) {
    let s = 0;
    for (let r = 0; r < group.count; r++) s += weights[r]! * all[r * n + i]!;
    mean[i] = s / total;
    if (i < size) normSq += mean[i]! ** 2;
  }
  const gradNorm = Math.sqrt(normSq);
  const scale = clipNorm !== undefined && Number.isFinite(gradNorm) && gradNorm > clipNorm ? clipNorm / gradNorm : 1;
  if (scale !== 1) for (let i = 0; i < size; i++) mean[i]! *= scale;

  offset = 0;
  keys.forEach((k, i) => {
    const t = tensors[i]!;
    g.grads.set(k, tf.tensor(mean.subarray(offset, offset + t.size), t.shape, 'float32'));
    offset += t.size;
    t.dispose();
  });
  lossKeys.forEach((k, i) => (g.losses[k] = mean[size + i]!));
  g.gradNorm = gradNorm;
  g.weight = total;
}
