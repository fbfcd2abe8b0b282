import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors/index.js';
import type { TitokLayer, WeightEntry } from '../layers/titok-layer.js';
import type { AdamWOptions, AdamWState } from './adamw.js';
import type { TrainingRngState } from './rng.js';

/** A float32 tensor on the host. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** One line of a training log: the step (1-based, after the update) and its losses. */
export interface TrainingLogEntry {
  step: number;
  /** `loss` (the total) and each named term. */
  losses: Record<string, number>;
  /** Learning rate used at this step. */
  lr: number;
  /** Seconds since training started (summed over resumed runs). */
  elapsed: number;
}

/**
 * Everything needed to continue a training run exactly where it stopped: the weights, the
 * optimiser's moments and step, the RNG state and the step. A run resumed from it gives the
 * same weights, bit for bit, as one that never stopped (same backend).
 */
export interface TrainingCheckpoint {
  format: 'titok-training-checkpoint';
  version: 1;
  /** What is trained: `tokenizer` or `generator`. */
  kind: string;
  /** Updates applied. */
  step: number;
  rng: TrainingRngState;
  optimizer: { options: Required<AdamWOptions>; step: number };
  /** The model's config.json. */
  config: Record<string, unknown>;
  /** The trainer's settings (JSON). */
  settings: Record<string, unknown>;
  /** The loss log so far. */
  history: TrainingLogEntry[];
  /** Seconds of training so far. */
  elapsed: number;
  /**
   * `model.<key>` weights and `adam.m.<key>` / `adam.v.<key>` moments, in the checkpoint's
   * (PyTorch's) layout and shapes, and `extra.*` tensors of the trainer.
   */
  tensors: Map<string, HostTensor>;
}

/**
 * Every weight of a layer tree, copied to the host, keyed by state-dict key, in the checkpoint's
 * (PyTorch's) layout: stable across versions whatever layout the layers keep their variables in.
 */
export async function snapshotWeights(layer: TitokLayer): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const e of layer.weightEntries()) out.set(e.key, await toHost(e, e.variable.read()));
  return out;
}

/**
 * Writes host weights in the checkpoint's layout (from {@link snapshotWeights}) into a layer
 * tree, exactly (layout changes are transposes).
 *
 * @throws InputError for a missing key or a shape that differs
 */
export function restoreWeights(layer: TitokLayer, weights: ReadonlyMap<string, HostTensor>): void {
  for (const e of layer.weightEntries()) {
    const w = weights.get(e.key);
    if (!w) throw new InputError(`checkpoint: no weight '${e.key}'`);
    tf.tidy(() => {
      e.variable.write(fromHost(e, w) as tf.Tensor);
    });
  }
}

/** A tensor of `entry`'s variable layout on the host, in the checkpoint's layout. */
export async function toHost(entry: WeightEntry, value: tf.Tensor): Promise<HostTensor> {
  const t = entry.owner.toCheckpointLayout(entry.localKey, value);
  try {
    return { shape: [...entry.checkpointShape], data: Float32Array.from((await t.data()) as Float32Array) };
  } finally {
    if (t !== value) t.dispose();
  }
}

/**
 * A host tensor in the checkpoint's layout as a tensor of `entry`'s variable layout.
 *
 * @throws InputError when its shape is not the checkpoint shape of the entry
 */
export function fromHost(entry: WeightEntry, host: HostTensor): tf.Tensor {
  if (host.shape.join('x') !== entry.checkpointShape.join('x')) {
    throw new InputError(`checkpoint: '${entry.key}' has shape [${host.shape}], the model [${entry.checkpointShape}]`);
  }
  return tf.tidy(() => entry.owner.transformLoadedParam(entry.localKey, tf.tensor(host.data, host.shape, 'float32')));
}

/** Adds `prefix` to every key of a map. */
export function prefixed<T>(prefix: string, map: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...map].map(([k, v]) => [prefix + k, v]));
}

/** The entries whose key starts with `prefix`, with the prefix removed. */
export function unprefixed<T>(prefix: string, map: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...map].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/** The optimiser part of a checkpoint's tensors (moments in the checkpoint's layout). */
export async function optimizerTensors(state: AdamWState, entries: ReadonlyMap<string, WeightEntry>): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [name, src] of [['adam.m.', state.m], ['adam.v.', state.v]] as const) {
    for (const [k, data] of src) {
      const e = entries.get(k)!;
      const t = tf.tensor(data, e.variable.shape as number[], 'float32');
      out.set(name + k, await toHost(e, t));
      t.dispose();
    }
  }
  return out;
}

/** {@link AdamWState} (variable layout) from a checkpoint's tensors. */
export async function optimizerState(step: number, tensors: ReadonlyMap<string, HostTensor>, entries: ReadonlyMap<string, WeightEntry>): Promise<AdamWState> {
  const pick = async (p: string) => {
    const out = new Map<string, Float32Array>();
    for (const [k, host] of unprefixed(p, tensors)) {
      const e = entries.get(k);
      if (!e) throw new InputError(`optimizer state: no parameter '${k}' in this model`);
      const t = fromHost(e, host);
      out.set(k, Float32Array.from((await t.data()) as Float32Array));
      t.dispose();
    }
    return out;
  };
  return { step, m: await pick('adam.m.'), v: await pick('adam.v.') };
}
