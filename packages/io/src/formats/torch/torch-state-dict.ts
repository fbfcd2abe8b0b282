import { FormatError, dtypeSize } from '@titok/core';
import type { CheckpointFormat, StateDict, StateDictTensor } from '@titok/core';
import { PyDict, describe } from '../pickle/values.js';
import { TorchStorage, TorchTensor } from './torch-pickle.js';
import { gatherStrided, isContiguous, viewNumel, viewSpan } from './tensor-view.js';

/** Keys under which training checkpoints keep the model's state dict. */
export const WRAPPER_KEYS = ['state_dict', 'model', 'module'] as const;

function isTensorDict(v: unknown): boolean {
  if (!(v instanceof PyDict)) return false;
  for (const x of v.map.values()) if (!(x instanceof TorchTensor)) return false;
  return true;
}

/**
 * Finds the state dict in an unpickled checkpoint: the top-level dict of tensors, or one
 * wrapped as `{"state_dict": ...}` / `{"model": ...}` / `{"module": ...}` (up to two levels).
 */
export function findStateDict(root: unknown, file: string): { dict: PyDict; unwrapped?: string } {
  if (!(root instanceof PyDict)) throw new FormatError(`not a state dict: the checkpoint holds a ${describe(root)}, not a dict of tensors`, { file });
  if (isTensorDict(root)) return { dict: root };
  let level: { dict: PyDict; path: string[] }[] = [{ dict: root, path: [] }];
  for (let depth = 0; depth < 2; depth++) {
    const next: typeof level = [];
    for (const { dict, path } of level) {
      for (const key of WRAPPER_KEYS) {
        const v = dict.map.get(key);
        if (v instanceof PyDict && v.map.size > 0 && isTensorDict(v)) return { dict: v, unwrapped: [...path, key].join('.') };
        if (v instanceof PyDict) next.push({ dict: v, path: [...path, key] });
      }
    }
    level = next;
  }
  for (const [k, v] of root.map) {
    if (!(v instanceof TorchTensor)) {
      throw new FormatError(
        `not a state dict: key ${JSON.stringify(typeof k === 'string' ? k : describe(k))} holds a ${describe(v)}, not a tensor, and there is no '${WRAPPER_KEYS.join("'/'")}' entry holding one`,
        { file },
      );
    }
  }
  throw new FormatError('not a state dict', { file });
}

/** Reads `byteLength` bytes at `byteOffset` of a root storage's record. */
export type StorageReader = (storage: TorchStorage, byteOffset: number, byteLength: number) => Promise<Uint8Array>;

/** Root storage of a (possibly legacy view) storage and the element offset into it. */
export function rootOf(s: TorchStorage): { root: TorchStorage; offset: number } {
  return s.root ? { root: s.root.storage, offset: s.root.offset } : { root: s, offset: 0 };
}

/**
 * Turns the tensors of a PyTorch state dict into the common {@link StateDict}: validates that
 * every view lies inside its storage, then reads lazily, honouring offsets and strides.
 */
export function buildTorchStateDict(args: {
  format: CheckpointFormat;
  file: string;
  dict: PyDict;
  unwrapped?: string;
  readStorage: StorageReader;
  close: () => Promise<void>;
}): StateDict {
  const { file, readStorage } = args;
  const tensors = new Map<string, StateDictTensor>();
  for (const [key, t] of args.dict.map) {
    if (typeof key !== 'string') throw new FormatError(`state dict key must be a string, got ${describe(key)}`, { file });
    if (!(t instanceof TorchTensor)) throw new FormatError(`tensor '${key}': holds a ${describe(t)}, not a tensor`, { file });
    const what = `tensor '${key}'`;
    const { root, offset: viewOffset } = rootOf(t.storage);
    const dtype = t.storage.dtype;
    const es = dtypeSize(dtype);
    const numel = viewNumel(t, what, file);
    const span = viewSpan(t, what, file);
    if (span.count > 0 && span.first + span.count > t.storage.numel) {
      throw new FormatError(
        `${what}: shape [${t.shape.join(', ')}] with stride [${t.stride.join(', ')}] at offset ${t.offset} needs ${span.first + span.count} elements but storage '${t.storage.key}' holds ${t.storage.numel}`,
        { file },
      );
    }
    const contiguous = isContiguous(t);
    const byteStart = (viewOffset + span.first) * es;
    tensors.set(key, {
      name: key,
      dtype,
      shape: t.shape,
      byteLength: numel * es,
      async read() {
        if (numel === 0) return new Uint8Array(0);
        if (contiguous) return readStorage(root, byteStart, numel * es);
        const bytes = await readStorage(root, byteStart, span.count * es);
        return gatherStrided(bytes, es, { offset: 0, shape: t.shape, stride: t.stride });
      },
    });
  }
  return { format: args.format, source: file, tensors, metadata: {}, unwrapped: args.unwrapped, close: args.close };
}
