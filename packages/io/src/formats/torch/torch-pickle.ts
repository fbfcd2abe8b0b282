import { FormatError, UnsafePickleError } from '@titok/core';
import type { DType } from '@titok/core';
import type { UnpickleHooks } from '../pickle/unpickler.js';
import { PyDict, PyGlobal, PyTuple, describe } from '../pickle/values.js';

/** The `torch.*Storage` classes a state dict can name, with their element types. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** Every global a PyTorch state dict needs; anything else is refused. */
const ALLOWED = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

/** A storage named by a persistent id: `numel` elements of `dtype` in record `key`. */
export class TorchStorage {
  readonly pythonType = 'torch.Storage';
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    /** For legacy views: the root storage and this view's element offset into it. */
    readonly root?: { storage: TorchStorage; offset: number },
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TorchTensor {
  readonly pythonType = 'torch.Tensor';
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

const MAX_DIMS = 64;

function intTuple(v: unknown, what: string, file: string): number[] {
  if (!(v instanceof PyTuple) || v.items.length > MAX_DIMS) {
    throw new FormatError(`pickle: tensor ${what} must be a tuple of at most ${MAX_DIMS} integers, got ${describe(v)}`, { file });
  }
  return v.items.map((x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
      throw new FormatError(`pickle: tensor ${what} must hold non-negative integers, got ${describe(x)} ${typeof x === 'number' ? x : ''}`.trim(), { file });
    }
    return x;
  });
}

/** Turns the class argument of a storage persistent id into its dtype. */
export function storageDtype(cls: unknown, file: string): DType {
  if (cls instanceof PyGlobal && cls.module === 'torch' && cls.name in STORAGE_DTYPES) return STORAGE_DTYPES[cls.name]!;
  throw new FormatError(`pickle: a storage id names ${describe(cls)}, not a torch storage class`, { file });
}

/** Checks a storage element count from a persistent id. */
export function storageNumel(v: unknown, key: string, file: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new FormatError(`pickle: storage '${key}' has an invalid size ${describe(v)}`, { file });
  }
  return v;
}

function call(fn: unknown, args: readonly unknown[], file: string): unknown {
  if (!(fn instanceof PyGlobal)) throw new FormatError(`pickle: cannot call a ${describe(fn)}`, { file });
  switch (fn.qualifiedName) {
    case 'collections.OrderedDict': {
      const d = new PyDict(true);
      if (args.length === 0) return d;
      const items = args[0];
      if (args.length !== 1 || !Array.isArray(items)) throw new FormatError('pickle: OrderedDict takes one list of pairs', { file });
      for (const kv of items) {
        const pair = kv instanceof PyTuple ? kv.items : Array.isArray(kv) ? kv : undefined;
        if (!pair || pair.length !== 2) throw new FormatError('pickle: OrderedDict items must be pairs', { file });
        d.map.set(pair[0], pair[1]);
      }
      return d;
    }
    case 'torch._utils._rebuild_tensor_v2': {
      if (args.length < 4 || args.length > 7) throw new FormatError(`pickle: _rebuild_tensor_v2 takes 4 to 7 arguments, got ${args.length}`, { file });
      const [storage, offset] = args;
      if (!(storage instanceof TorchStorage)) throw new FormatError(`pickle: _rebuild_tensor_v2 needs a storage, got ${describe(storage)}`, { file });
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
        throw new FormatError('pickle: _rebuild_tensor_v2 needs a non-negative storage offset', { file });
      }
      const shape = intTuple(args[2], 'size', file);
      const stride = intTuple(args[3], 'stride', file);
      if (shape.length !== stride.length) {
        throw new FormatError(`pickle: tensor size has ${shape.length} dimensions but its stride ${stride.length}`, { file });
      }
      return new TorchTensor(storage, offset, shape, stride);
    }
    case 'torch._utils._rebuild_parameter': {
      if (args.length !== 3 || !(args[0] instanceof TorchTensor)) throw new FormatError('pickle: _rebuild_parameter needs (tensor, requires_grad, hooks)', { file });
      return args[0];
    }
    default:
      throw new FormatError(`pickle: ${fn.qualifiedName} cannot be called`, { file });
  }
}

/**
 * Unpickler hooks for PyTorch checkpoints: only the globals a state dict needs
 * (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter`, the
 * `torch.*Storage` classes); anything else is an {@link UnsafePickleError} naming it.
 */
export function torchHooks(file: string, persistentLoad: (pid: unknown) => TorchStorage): UnpickleHooks {
  return {
    findGlobal(module, name) {
      const q = `${module}.${name}`;
      if (!ALLOWED.has(q)) throw new UnsafePickleError(q.length > 200 ? `${q.slice(0, 200)}...` : q, { file });
      return new PyGlobal(module, name);
    },
    call: (fn, args) => call(fn, args, file),
    persistentLoad,
    build(obj, state) {
      if (obj instanceof PyDict) obj.state = state;
      else throw new FormatError(`pickle: cannot set state on a ${describe(obj)}`, { file });
    },
  };
}
