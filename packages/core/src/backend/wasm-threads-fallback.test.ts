/**
 * Fail-safe: with a tfjs-backend-wasm version the Node threads shim was not checked against,
 * asking for threads gives a working single-threaded wasm backend and a note saying why.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './select-backend.js';

jest.mock('@tensorflow/tfjs-backend-wasm', () => ({ ...jest.requireActual('@tensorflow/tfjs-backend-wasm'), version_wasm: '4.99.0' }));

it('falls back to one thread with a note when the shim does not know the tfjs-backend-wasm version', async () => {
  const info = await selectBackend({ backend: 'wasm', threads: 2, env: {} });
  expect(info).toMatchObject({ backend: 'wasm', simd: true, threads: 1 });
  expect(info.note).toBe('wasm runs on 1 thread: the Node wasm threads shim was checked with @tensorflow/tfjs-backend-wasm 4.22.0, not 4.99.0');
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
  expect(Array.from(await y.data())).toEqual([11]);
  y.dispose();
});
