import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from '../errors/index.js';
import { toFloat32 } from '../state-dict/dtype.js';
import type { StateDict } from '../state-dict/types.js';
import type { TitokLayer, WeightEntry } from '../layers/titok-layer.js';

/** Options of {@link loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Checkpoint keys that the model does not use but may legitimately be there (the decoder's
   * keys when only the encoder is built, BERT's `position_ids` buffer). Anything else that the
   * model lacks is an error.
   */
  ignore?: (key: string) => boolean;
  /** Called after each tensor is loaded. */
  onProgress?: (loaded: number, total: number, key: string) => void;
}

const LIST_MAX = 12;

function list(keys: string[]): string {
  const shown = keys.slice(0, LIST_MAX).join(', ');
  return keys.length > LIST_MAX ? `${shown}, ... (${keys.length} in all)` : shown;
}

/**
 * Compares a model's weights with a state dict's keys and shapes, without reading any data.
 * Returns the problems; {@link loadStateDict} throws them.
 */
export function checkStateDict(
  model: TitokLayer,
  keys: ReadonlyMap<string, { shape: readonly number[] }>,
  options: Pick<LoadStateDictOptions, 'ignore'> = {},
): { missing: string[]; unexpected: string[]; mismatched: { key: string; expected: number[]; actual: number[] }[] } {
  const entries = model.weightEntries();
  const expected = new Map(entries.map((e) => [e.key, e]));
  const missing = entries.filter((e) => !keys.has(e.key)).map((e) => e.key);
  const unexpected = [...keys.keys()].filter((k) => !expected.has(k) && !options.ignore?.(k));
  const mismatched: { key: string; expected: number[]; actual: number[] }[] = [];
  for (const [k, t] of keys) {
    const e = expected.get(k);
    if (e && (e.checkpointShape.length !== t.shape.length || e.checkpointShape.some((d, i) => d !== t.shape[i]))) {
      mismatched.push({ key: k, expected: e.checkpointShape, actual: [...t.shape] });
    }
  }
  return { missing, unexpected, mismatched };
}

/** Throws a {@link WeightsError} listing every missing, unexpected and mis-shaped key, if any. */
export function assertStateDictMatches(
  model: TitokLayer,
  keys: ReadonlyMap<string, { shape: readonly number[] }>,
  options: Pick<LoadStateDictOptions, 'ignore'> & { source?: string } = {},
): void {
  const { missing, unexpected, mismatched } = checkStateDict(model, keys, options);
  if (!missing.length && !unexpected.length && !mismatched.length) return;
  const parts: string[] = [];
  if (missing.length) parts.push(`missing keys: ${list(missing)}`);
  if (unexpected.length) parts.push(`unexpected keys: ${list(unexpected)}`);
  if (mismatched.length) {
    parts.push(
      `wrong shapes: ${mismatched
        .slice(0, LIST_MAX)
        .map((m) => `${m.key} is [${m.actual.join(', ')}], the model needs [${m.expected.join(', ')}]`)
        .join('; ')}${mismatched.length > LIST_MAX ? ` ... (${mismatched.length} in all)` : ''}`,
    );
  }
  throw new WeightsError(`the checkpoint does not match the model: ${parts.join('; ')}`, {
    missing,
    unexpected,
    mismatched,
    file: options.source,
  });
}

async function loadOne(entry: WeightEntry, sd: StateDict): Promise<void> {
  const t = sd.tensors.get(entry.key)!;
  const data = toFloat32(await t.read(), t.dtype, entry.key);
  const value = tf.tensor(data, [...t.shape], 'float32');
  const stored = entry.owner.transformLoadedParam(entry.localKey, value);
  entry.variable.write(stored);
  if (stored !== value) stored.dispose();
  value.dispose();
}

/**
 * Strictly loads a state dict into a model: every weight of the model must be in the state dict
 * with the same shape, and the state dict may hold nothing else (but what `ignore` accepts).
 * Keys and shapes are checked before any data is read; tensors are then read and written one
 * at a time, so memory peaks at the model plus one tensor. Float16/bfloat16/float64 weights are
 * converted to float32 exactly (float64 rounds).
 *
 * @throws WeightsError listing the missing, unexpected and mis-shaped keys
 */
export async function loadStateDict(model: TitokLayer, sd: StateDict, options: LoadStateDictOptions = {}): Promise<void> {
  assertStateDictMatches(model, sd.tensors, { ...options, source: sd.source });
  const entries = model.weightEntries();
  let i = 0;
  for (const entry of entries) {
    await loadOne(entry, sd);
    options.onProgress?.(++i, entries.length, entry.key);
  }
}
