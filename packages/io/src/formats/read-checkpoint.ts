import { FormatError } from '@titok/core';
import type { StateDict, StateDictTensor } from '@titok/core';
import { toByteSource } from '../source/byte-source.js';
import type { ByteInput, ByteSource } from '../source/byte-source.js';
import { detectFormat } from './detect.js';
import { toOneLine } from './one-line.js';
import { readSafetensors } from './safetensors-reader.js';
import { readTorchZip } from './torch/torch-zip-reader.js';
import { readTorchLegacy } from './torch/torch-legacy-reader.js';
import { readTfjsWeights } from '../tfjs-weights/tfjs-reader.js';

const MAX_MODEL_JSON = 64 * 1024 * 1024;

/** Options of {@link readCheckpoint}. */
export interface ReadCheckpointOptions {
  /** File name or URL for messages (defaults to the source's name). */
  name?: string;
  /**
   * For a tfjs `model.json`: opens a file next to it (a weight shard) by its relative path.
   * Without it a `model.json` cannot be read; `openModelSource` supplies it for folders and URLs.
   */
  openRelated?: (path: string) => Promise<ByteSource>;
}

/**
 * Reads any supported checkpoint into the common {@link StateDict}: safetensors, PyTorch zip
 * (`.bin`/`.pt`/`.pth`, PyTorch 1.6+), PyTorch legacy (pre-1.6) or a tfjs `model.json`.
 * The format is detected from the bytes. Only headers and pickles are read now; tensor data is
 * read when a tensor's `read()` is called. Nothing from the file is ever executed. On failure
 * the source is closed.
 *
 * @param input - bytes, a Blob/File, or a {@link ByteSource} (`fileSource(path)` in Node)
 * @throws FormatError for damaged or unsupported files, UnsafePickleError for a pickle that
 *   names a global a state dict never needs
 */
export async function readCheckpoint(input: ByteInput, options: ReadCheckpointOptions = {}): Promise<StateDict> {
  const source = toByteSource(input, options.name);
  try {
    return oneLineErrors(await open(source, options));
  } catch (e) {
    await source.close().catch(() => {});
    throw toOneLine(e);
  }
}

/** Tensor reads report errors on one line too (tensor names come from the file). */
function oneLineErrors(sd: StateDict): StateDict {
  const tensors = new Map<string, StateDictTensor>();
  for (const [k, t] of sd.tensors) {
    tensors.set(k, {
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      byteLength: t.byteLength,
      read: () => t.read().catch((e: unknown) => Promise.reject(toOneLine(e))),
    });
  }
  return { ...sd, tensors, close: () => sd.close() };
}

async function open(source: ByteSource, options: ReadCheckpointOptions): Promise<StateDict> {
  const format = await detectFormat(source);
  switch (format) {
    case 'torch-zip':
      return await readTorchZip(source);
    case 'torch-legacy':
      return await readTorchLegacy(source);
    case 'safetensors':
      return await readSafetensors(source);
    case 'tfjs': {
      if (!options.openRelated) {
        throw new FormatError('a tfjs model.json needs its weight files: open its folder or URL with openModelSource', { file: source.name });
      }
      if (source.size > MAX_MODEL_JSON) throw new FormatError(`model.json is ${source.size} bytes, above the ${MAX_MODEL_JSON}-byte limit`, { file: source.name });
      const json = new TextDecoder().decode(await source.read(0, source.size));
      await source.close();
      return await readTfjsWeights(json, { name: source.name, openRelated: options.openRelated });
    }
  }
}
