import { FormatError, dtypeSize } from '@titok/core';
import type { StateDict } from '@titok/core';
import type { ByteSource } from '../../source/byte-source.js';
import { NeedMoreData, unpickle } from '../pickle/unpickler.js';
import type { UnpickleHooks } from '../pickle/unpickler.js';
import { PyDict, PyTuple, describe } from '../pickle/values.js';
import { TorchStorage, storageDtype, storageNumel, torchHooks } from './torch-pickle.js';
import { buildTorchStateDict, findStateDict } from './torch-state-dict.js';
import { MAX_PICKLE_BYTES } from './torch-zip-reader.js';

/** The number `torch.save` pickles first in its pre-1.6 format. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Unpickles the pickle at `offset`, reading a growing window until it reaches STOP. */
async function pickleAt(source: ByteSource, offset: number, hooks: UnpickleHooks): Promise<{ value: unknown; end: number }> {
  const file = source.name;
  let window = Math.min(source.size - offset, 1 << 20);
  for (;;) {
    const bytes = await source.read(offset, window);
    try {
      const r = unpickle(bytes, 0, hooks, file, offset + window >= source.size);
      return { value: r.value, end: offset + r.end };
    } catch (e) {
      if (!(e instanceof NeedMoreData)) throw e;
      if (window >= MAX_PICKLE_BYTES) throw new FormatError(`the pickle at offset ${offset} is larger than ${MAX_PICKLE_BYTES} bytes`, { file });
      window = Math.min(source.size - offset, window * 4, MAX_PICKLE_BYTES);
    }
  }
}

/** True when the bytes start like a legacy torch.save file (protocol 2 pickle of the magic number). */
export function looksLikeTorchLegacy(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5 && head[2] === 0x8a && head[3] === 0x0a;
}

/**
 * Reads a pre-1.6 (`_use_new_zipfile_serialization=False`) PyTorch checkpoint: magic number,
 * protocol version and system info pickles, the state-dict pickle (storages as persistent ids,
 * views included), the list of storage keys, then each storage as an 8-byte element count and
 * its raw bytes. Only the small count headers are read up front; tensor data is read lazily.
 *
 * @throws FormatError for a damaged file; UnsafePickleError for a forbidden global
 */
export async function readTorchLegacy(source: ByteSource): Promise<StateDict> {
  const file = source.name;
  const noPersistent = torchHooks(file, () => {
    throw new FormatError('pickle: unexpected persistent id in a header pickle', { file });
  });
  const magic = await pickleAt(source, 0, noPersistent);
  if (magic.value !== LEGACY_MAGIC) throw new FormatError('not a legacy PyTorch checkpoint (wrong magic number)', { file });
  const protocol = await pickleAt(source, magic.end, noPersistent);
  if (protocol.value !== LEGACY_PROTOCOL) throw new FormatError(`unsupported legacy protocol version ${describe(protocol.value)} ${protocol.value}`, { file });
  const sysInfo = await pickleAt(source, protocol.end, noPersistent);
  if (sysInfo.value instanceof PyDict && sysInfo.value.map.get('little_endian') === false) {
    throw new FormatError('the checkpoint was saved big-endian; only little-endian is supported', { file });
  }

  const roots = new Map<string, TorchStorage>();
  const persistentLoad = (pid: unknown): TorchStorage => {
    const t = pid instanceof PyTuple ? pid.items : undefined;
    const kind = t && (t[0] instanceof Uint8Array ? new TextDecoder().decode(t[0]) : t[0]);
    if (kind === 'module') throw new FormatError('the checkpoint pickles a whole module, not a state dict', { file });
    if (!t || t.length !== 6 || kind !== 'storage' || typeof t[2] !== 'string') {
      throw new FormatError("pickle: a persistent id is not ('storage', type, key, location, size, view)", { file });
    }
    const key = t[2] as string;
    const dtype = storageDtype(t[1], file);
    const numel = storageNumel(t[4], key, file);
    let root = roots.get(key);
    if (!root) {
      root = new TorchStorage(key, dtype, numel);
      roots.set(key, root);
    } else if (root.dtype !== dtype) {
      throw new FormatError(`pickle: storage '${key}' is declared with two element types`, { file });
    }
    const view = t[5];
    if (view === null) return root;
    const v = view instanceof PyTuple ? view.items : [];
    const [viewKey, offset, size] = v;
    if (v.length !== 3 || typeof viewKey !== 'string') throw new FormatError(`pickle: storage '${key}' has a malformed view`, { file });
    const off = storageNumel(offset, viewKey, file);
    const len = storageNumel(size, viewKey, file);
    if (off + len > root.numel) throw new FormatError(`storage view '${viewKey}' (${len} elements at ${off}) lies outside storage '${key}' (${root.numel})`, { file });
    return new TorchStorage(viewKey, dtype, len, { storage: root, offset: off });
  };
  const main = await pickleAt(source, sysInfo.end, torchHooks(file, persistentLoad));
  const { dict, unwrapped } = findStateDict(main.value, file);
  const keys = await pickleAt(source, main.end, noPersistent);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new FormatError('the list of storage keys after the state dict is malformed', { file });
  }

  const starts = new Map<string, number>();
  let p = keys.end;
  for (const key of keys.value as string[]) {
    const root = roots.get(key);
    if (!root) throw new FormatError(`storage '${key}' is stored but the state dict never uses it`, { file });
    if (starts.has(key)) throw new FormatError(`storage '${key}' is stored twice`, { file });
    if (p + 8 > source.size) throw new FormatError(`storage '${key}': the file ends before its header (truncated)`, { file });
    const head = await source.read(p, 8);
    const count = new DataView(head.buffer, head.byteOffset, 8).getBigInt64(0, true);
    if (count !== BigInt(root.numel)) {
      throw new FormatError(`storage '${key}': the file holds ${count} elements but the pickle declares ${root.numel}`, { file });
    }
    const bytes = root.numel * dtypeSize(root.dtype);
    if (p + 8 + bytes > source.size) {
      throw new FormatError(`storage '${key}': ${bytes} bytes at offset ${p + 8} run past the end of the file (truncated)`, { file });
    }
    starts.set(key, p + 8);
    p += 8 + bytes;
  }
  for (const key of roots.keys()) {
    if (!starts.has(key)) throw new FormatError(`storage '${key}' is used by the state dict but missing from the file`, { file });
  }

  return buildTorchStateDict({
    format: 'torch-legacy',
    file,
    dict,
    unwrapped,
    readStorage: (storage, offset, length) => source.read(starts.get(storage.key)! + offset, length),
    close: () => source.close(),
  });
}
