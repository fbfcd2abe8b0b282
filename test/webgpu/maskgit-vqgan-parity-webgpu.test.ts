/**
 * MaskGIT-VQGAN (the 2D baseline) parity on WebGPU (Node: Dawn, SwiftShader without a GPU):
 * every recorded intermediate within tolerance, exact token ids and the clamped decode.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseModelConfig, toTracer } from '@titok/core';
import { MaskGitVQGAN } from '@titok/tokenizer';
import { readJson } from '../helpers/fixtures.js';
import { releaseTestBackend, useTestBackend } from '../helpers/backends.js';
import { checkTensor, expectedTensor, loadFixture, readWeights, weightFormats } from '../parity/harness.js';
import { AsyncTraceRecorder } from './async-trace.js';

const MODEL = 'maskgit_vqgan_tiny';

beforeAll(async () => {
  await useTestBackend('webgpu');
});

afterAll(async () => {
  await releaseTestBackend();
});

it('MaskGIT-VQGAN on webgpu: forward pass, exact ids and decode within tolerance', async () => {
  expect(tf.getBackend()).toBe('webgpu');
  const expected = await loadFixture(MODEL);
  const sd = await readWeights(MODEL, weightFormats(MODEL).find((f) => f.kind === 'float32')!);
  const vqgan = await MaskGitVQGAN.fromStateDict(parseModelConfig(readJson(MODEL, 'config.json')), sd);
  await sd.close();

  const rec = new AsyncTraceRecorder();
  tf.tidy(() => {
    const images = expectedTensor(expected, 'inputs.images') as tf.Tensor4D;
    rec.keep('decoded', vqgan.model.reconstruct(images, toTracer(rec.keep)));
  });
  await rec.flush();
  const { failures, compared } = rec.compareAll(expected);
  expect(failures).toEqual([]);
  const required = [...expected.tensors.keys(), ...Object.keys(expected.omitted)].filter((n) => !/^(inputs\.|decode\.out)/.test(n));
  expect(required.filter((n) => !compared.includes(n))).toEqual([]);

  const images = expectedTensor(expected, 'inputs.images');
  const before = tf.memory().numTensors;
  const ids = await vqgan.encode(images);
  expect(Array.from(await ids.data())).toEqual(Array.from(expected.tensors.get('quantize.indices')!.data));
  const decoded = await vqgan.decode(ids);
  expect(checkTensor(expected, 'decode.out', await decoded.data(), decoded.shape)).toBeUndefined();
  tf.dispose([ids, decoded]);
  expect(tf.memory().numTensors).toBe(before);
  images.dispose();
  vqgan.dispose();
});
