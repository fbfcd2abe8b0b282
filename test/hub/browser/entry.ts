// Bundled for Chromium by hub-browser.test.ts: loads models through @titok/io in the page and
// turns their tensors into tfjs variables one at a time.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { toFloat32 } from '@titok/core';
import { createSha256, indexedDbCache, openHubModel, openUrlModel, readSafetensors } from '@titok/io';
import type { HubModelOptions, ProgressInfo } from '@titok/io';

interface LoadResult {
  cacheKind: string;
  weightsFile: string;
  weightsSource: string;
  tensors: number;
  variables: number;
  sum: number;
  sha256: string;
  config: boolean;
  events: string[];
  leakedTensors: number;
}

async function load(what: string, how: 'url' | 'hub', opts: { endpoint?: string; idb?: boolean; dtype?: 'fp16' } = {}): Promise<LoadResult> {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const events: string[] = [];
  const options: HubModelOptions = {
    endpoint: opts.endpoint,
    dtype: opts.dtype,
    cache: opts.idb ? indexedDbCache('titok-test-idb') : undefined,
    progress_callback: (e: ProgressInfo) => events.push(`${e.status}${'file' in e ? ` ${e.file}` : ''}`),
  };
  const files = how === 'url' ? await openUrlModel(what, options) : await openHubModel(what, options);
  const sd = await readSafetensors(files.weights);
  const hash = createSha256();
  let sum = 0;
  const variables: tf.Variable[] = [];
  for (const t of sd.tensors.values()) {
    const bytes = await t.read(); // one tensor's bytes at a time, sliced from the cached Blob
    hash.update(bytes);
    const init = tf.tensor(toFloat32(bytes, t.dtype, t.name), t.shape as number[], 'float32');
    const v = tf.variable(init, false, t.name);
    init.dispose();
    variables.push(v);
    const s = tf.sum(v);
    sum += (await s.data())[0]!;
    s.dispose();
  }
  for (const v of variables) v.dispose();
  await sd.close();
  return {
    cacheKind: files.cache.kind,
    weightsFile: files.weightsFile,
    weightsSource: files.weights.name,
    tensors: sd.tensors.size,
    variables: variables.length,
    sum,
    sha256: hash.hex(),
    config: files.configJson !== undefined,
    events,
    leakedTensors: tf.memory().numTensors - before,
  };
}

(globalThis as { titokLoad?: typeof load }).titokLoad = load;
(globalThis as { titokReady?: boolean }).titokReady = true;
