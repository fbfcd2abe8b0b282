import { FormatError } from '@titok/core';
import type { HostTensor, TrainingCheckpoint } from '@titok/core';
import { readSafetensors } from '../formats/safetensors-reader.js';
import { encodeSafetensors } from '../formats/safetensors-writer.js';
import type { ByteInput } from '../source/byte-source.js';

/** The safetensors metadata key holding a training checkpoint's JSON part. */
export const TRAINING_CHECKPOINT_KEY = 'titok.training';

/**
 * Encodes a training checkpoint as one safetensors file: every tensor float32 (weights and
 * optimiser moments, exact), and the rest (step, RNG state, settings, config, loss log) as JSON
 * in the `__metadata__` entry `titok.training`.
 */
export async function encodeTrainingCheckpoint(ckpt: TrainingCheckpoint): Promise<Uint8Array> {
  const { tensors, ...meta } = ckpt;
  const list = [...tensors].map(([name, t]) => ({
    name,
    dtype: 'F32' as const,
    shape: t.shape,
    data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  }));
  return encodeSafetensors(list, { metadata: { [TRAINING_CHECKPOINT_KEY]: JSON.stringify(meta) } });
}

/**
 * Reads {@link encodeTrainingCheckpoint}'s bytes back.
 *
 * @throws FormatError when the file is not a training checkpoint
 */
export async function decodeTrainingCheckpoint(input: ByteInput, name = '<training checkpoint>'): Promise<TrainingCheckpoint> {
  const sd = await readSafetensors(input, name);
  try {
    const raw = sd.metadata[TRAINING_CHECKPOINT_KEY];
    if (raw === undefined) throw new FormatError(`not a titok training checkpoint (no '${TRAINING_CHECKPOINT_KEY}' metadata)`, { file: name });
    let meta: Omit<TrainingCheckpoint, 'tensors'>;
    try {
      meta = JSON.parse(raw) as Omit<TrainingCheckpoint, 'tensors'>;
    } catch (e) {
      throw new FormatError(`training checkpoint metadata is not JSON (${(e as Error).message})`, { file: name });
    }
    if (meta.format !== 'titok-training-checkpoint' || meta.version !== 1) {
      throw new FormatError(`unsupported training checkpoint (format ${String(meta.format)}, version ${String(meta.version)})`, { file: name });
    }
    const tensors = new Map<string, HostTensor>();
    for (const [key, t] of sd.tensors) {
      if (t.dtype !== 'F32') throw new FormatError(`tensor '${key}' is ${t.dtype}; training checkpoints hold F32`, { file: name });
      const bytes = await t.read();
      const data = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(data.buffer).set(bytes);
      tensors.set(key, { shape: [...t.shape], data });
    }
    return { ...meta, tensors };
  } finally {
    await sd.close();
  }
}
