import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@titok/core';
import { openModelSource } from '@titok/io';
import type { ModelSource, ModelSourceInput, OpenModelSourceOptions } from '@titok/io';
import type { Device, LoadProgressCallback } from '../types.js';

/** Options every `fromPretrained` accepts besides the model-specific ones. */
export interface PretrainedOptions extends Omit<OpenModelSourceOptions, 'resolvers'> {
  /** The backend to run on (see {@link Device}). */
  device?: Device;
  /** Download and loading progress. */
  progress_callback?: LoadProgressCallback;
}

/**
 * Activates the requested backend; with none requested, keeps the active backend, or selects
 * `'auto'` when TensorFlow.js has none yet.
 */
export async function useDevice(device: Device | undefined): Promise<void> {
  if (device !== undefined) await selectBackend({ backend: device });
  else if (!tf.getBackend()) await selectBackend({});
}

/**
 * Opens a model source (folder, file, URL, bytes, hub id or released model name, as
 * `openModelSource` accepts) on the requested device, runs `load` on it and closes it.
 */
export async function withModelSource<T>(source: ModelSourceInput, options: PretrainedOptions, load: (src: ModelSource) => Promise<T>): Promise<T> {
  await useDevice(options.device);
  const { device: _device, ...openOptions } = options;
  const src = await openModelSource(source, openOptions);
  try {
    return await load(src);
  } finally {
    await src.close();
  }
}
