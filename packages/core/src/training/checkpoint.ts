import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors/index.js';
import type { TitokLayer } from '../layers/titok-layer.js';
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
  /** `model.<key>` weights, `adam.m.<key>` / `adam.v.<key>` moments (variable layout), and trainer extras. */
  tensors: Map<string, HostTensor>;
}

/** Every weight of a layer tree, copied to the host, keyed by state-dict key (variable layout). */
export async function snapshotWeights(layer: TitokLayer): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [k, v] of layer.namedWeights()) out.set(k, { shape: [...(v.shape as number[])], data: (await v.read().data()) as Float32Array });
  return out;
}

/**
 * Writes host weights (from {@link snapshotWeights}) into a layer tree, exactly.
 *
 * @throws InputError for a missing key or a shape that differs
 */
export function restoreWeights(layer: TitokLayer, weights: ReadonlyMap<string, HostTensor>): void {
  for (const [k, v] of layer.namedWeights()) {
    const w = weights.get(k);
    if (!w) throw new InputError(`checkpoint: no weight '${k}'`);
    if (w.shape.join('x') !== (v.shape as number[]).join('x')) {
      throw new InputError(`checkpoint: '${k}' has shape [${w.shape}], the model [${v.shape as number[]}]`);
    }
    tf.tidy(() => {
      v.write(tf.tensor(w.data, w.shape, 'float32'));
    });
  }
}

/** Adds `prefix` to every key of a map. */
export function prefixed<T>(prefix: string, map: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...map].map(([k, v]) => [prefix + k, v]));
}

/** The entries whose key starts with `prefix`, with the prefix removed. */
export function unprefixed<T>(prefix: string, map: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...map].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/** The optimiser part of a checkpoint's tensors. */
export function optimizerTensors(state: AdamWState, params: ReadonlyMap<string, tf.Variable>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, src] of [['adam.m.', state.m], ['adam.v.', state.v]] as const) {
    for (const [k, data] of src) out.set(name + k, { shape: [...params.get(k)!.shape], data });
  }
  return out;
}

/** {@link AdamWState} from a checkpoint's tensors. */
export function optimizerState(step: number, tensors: ReadonlyMap<string, HostTensor>): AdamWState {
  const pick = (p: string) => new Map([...unprefixed(p, tensors)].map(([k, t]) => [k, t.data]));
  return { step, m: pick('adam.m.'), v: pick('adam.v.') };
}
