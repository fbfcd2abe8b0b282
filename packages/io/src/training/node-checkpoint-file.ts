import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '@titok/core';
import type { TrainingCheckpoint } from '@titok/core';
import { decodeTrainingCheckpoint, encodeTrainingCheckpoint } from './training-checkpoint.js';

/**
 * Saves a training checkpoint to `file` atomically: the bytes go to a temporary file in the same
 * folder, which is flushed to disk and then renamed over `file`, so an interruption leaves either
 * the old checkpoint or the new one, never half of one.
 */
export async function saveTrainingCheckpoint(file: string, ckpt: TrainingCheckpoint): Promise<void> {
  const bytes = await encodeTrainingCheckpoint(ckpt);
  const dir = path.dirname(path.resolve(file));
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  const h = await fsp.open(tmp, 'w');
  try {
    await h.writeFile(bytes);
    await h.sync();
  } finally {
    await h.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Loads a checkpoint saved by {@link saveTrainingCheckpoint}.
 *
 * @throws InputError when the file cannot be read; FormatError when it is not a training checkpoint
 */
export async function loadTrainingCheckpoint(file: string): Promise<TrainingCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read the training checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  return decodeTrainingCheckpoint(bytes, file);
}
