import { FormatError, dtypeSize } from '@titok/core';
import type { StateDict } from '@titok/core';
import type { ByteSource } from '../../source/byte-source.js';
import { openZip } from '../zip/zip-reader.js';
import type { ZipEntry } from '../zip/zip-reader.js';
import { unpickle } from '../pickle/unpickler.js';
import { PyTuple } from '../pickle/values.js';
import { TorchStorage, storageDtype, storageNumel, torchHooks } from './torch-pickle.js';
import { buildTorchStateDict, findStateDict } from './torch-state-dict.js';

/** data.pkl above this is refused (the largest released checkpoint has about 100 KB). */
export const MAX_PICKLE_BYTES = 128 * 1024 * 1024;

function findPickle(entries: ReadonlyMap<string, ZipEntry>, file: string): { pkl: ZipEntry; prefix: string } {
  const found = [...entries.values()].filter((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
  if (found.length === 0) throw new FormatError('a zip archive but not a PyTorch checkpoint: there is no data.pkl', { file });
  if (found.length > 1) throw new FormatError(`the archive holds ${found.length} data.pkl records (${found.map((e) => e.name).join(', ')})`, { file });
  const pkl = found[0]!;
  return { pkl, prefix: pkl.name.slice(0, pkl.name.length - 'data.pkl'.length) };
}

/**
 * Reads a `torch.save` zip checkpoint (PyTorch 1.6 and later): the zip's central directory,
 * then `<prefix>/data.pkl` through the restricted unpickler. Every storage the pickle names
 * must have a record at least as long as it declares; tensor bytes are read lazily.
 *
 * @throws FormatError for a damaged archive or pickle; UnsafePickleError for a forbidden global
 */
export async function readTorchZip(source: ByteSource): Promise<StateDict> {
  const file = source.name;
  const zip = await openZip(source);
  const { pkl, prefix } = findPickle(zip.entries, file);
  const order = zip.entries.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(await zip.read(order)).trim();
    if (text !== 'little') throw new FormatError(`the checkpoint was saved ${text}-endian; only little-endian is supported`, { file });
  }
  if (pkl.size > MAX_PICKLE_BYTES) throw new FormatError(`${pkl.name} is ${pkl.size} bytes, above the ${MAX_PICKLE_BYTES}-byte limit`, { file });
  const bytes = await zip.read(pkl);

  const storages = new Map<string, { storage: TorchStorage; entry: ZipEntry }>();
  const persistentLoad = (pid: unknown): TorchStorage => {
    const t = pid instanceof PyTuple ? pid.items : undefined;
    if (!t || t.length !== 5 || t[0] !== 'storage' || typeof t[2] !== 'string') {
      throw new FormatError("pickle: a persistent id is not ('storage', type, key, location, size)", { file });
    }
    const key = t[2] as string;
    const dtype = storageDtype(t[1], file);
    const numel = storageNumel(t[4], key, file);
    const known = storages.get(key);
    if (known) {
      if (known.storage.dtype !== dtype || known.storage.numel !== numel) {
        throw new FormatError(`pickle: storage '${key}' is declared twice with different types or sizes`, { file });
      }
      return known.storage;
    }
    const name = `${prefix}data/${key}`;
    const entry = zip.entries.get(name);
    if (!entry) throw new FormatError(`storage '${key}': the archive has no record ${name}`, { file });
    const need = numel * dtypeSize(dtype);
    if (entry.size < need) {
      throw new FormatError(
        `storage '${key}': record ${name} holds ${entry.size} bytes but the pickle declares ${numel} ${dtype} elements (${need} bytes)`,
        { file },
      );
    }
    const storage = new TorchStorage(key, dtype, numel);
    storages.set(key, { storage, entry });
    return storage;
  };

  const { value } = unpickle(bytes, 0, torchHooks(file, persistentLoad), file);
  const { dict, unwrapped } = findStateDict(value, file);
  return buildTorchStateDict({
    format: 'torch-zip',
    file,
    dict,
    unwrapped,
    readStorage: (storage, offset, length) => zip.read(storages.get(storage.key)!.entry, offset, length),
    close: () => source.close(),
  });
}
