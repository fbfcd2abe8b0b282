import { loadStateDict } from '@titok/core';
import type { StateDict, TitokLayer } from '@titok/core';
import type { LoadProgressCallback } from '../types.js';

/**
 * Strictly loads `stateDict` into `model` (keys accepted by `ignore` may be present and are
 * skipped), reporting progress per tensor. On failure the model's weights are freed.
 */
export async function loadWeightsInto(
  model: TitokLayer,
  stateDict: StateDict,
  options: { ignore?: (key: string) => boolean; progress_callback?: LoadProgressCallback } = {},
): Promise<void> {
  const cb = options.progress_callback;
  try {
    await loadStateDict(model, stateDict, {
      ignore: options.ignore,
      onProgress: cb
        ? (loaded, total, key) => {
            try {
              cb({ status: 'loading', name: stateDict.source, file: key, loaded, total, progress: (loaded / total) * 100 });
            } catch {
              // a broken progress callback must not fail the load
            }
          }
        : undefined,
    });
  } catch (e) {
    model.disposeAll();
    throw e;
  }
}
