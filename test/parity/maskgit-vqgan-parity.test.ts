/**
 * MaskGIT-VQGAN parity with the reference: every recorded intermediate (statistics for the
 * omitted ones), exact token ids and the clamped decode, on every parity backend and format.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseModelConfig, toTracer } from '@titok/core';
import { MaskGitVQGAN } from '@titok/tokenizer';
import { readJson } from '../helpers/fixtures.js';
import { PARITY_BACKENDS, TraceRecorder, checkTensor, expectedTensor, loadFixture, readWeights, useBackend, parityFormats } from './harness.js';
import type { Expected } from './harness.js';

const MODEL = 'maskgit_vqgan_tiny';

describe.each(PARITY_BACKENDS)('MaskGIT-VQGAN parity on %s', (backend) => {
  let expected: Expected;
  beforeAll(async () => {
    await useBackend(backend);
    expected = await loadFixture(MODEL);
  });

  it.each(parityFormats(MODEL, backend).map((f) => [f.name, f] as const))('forward pass and decode from %s', async (_n, format) => {
    const sd = await readWeights(MODEL, format);
    const vqgan = await MaskGitVQGAN.fromStateDict(parseModelConfig(readJson(MODEL, 'config.json')), sd);
    await sd.close();
    const rec = new TraceRecorder();
    tf.tidy(() => {
      const images = expectedTensor(expected, 'inputs.images') as tf.Tensor4D;
      rec.hook('decoded', vqgan.model.reconstruct(images, toTracer(rec.hook)));
    });
    const { failures, compared } = rec.compareAll(expected);
    expect(failures).toEqual([]);
    const required = [...expected.tensors.keys(), ...Object.keys(expected.omitted)].filter((n) => !/^(inputs\.|decode\.out)/.test(n));
    expect(required.filter((n) => !compared.includes(n))).toEqual([]);

    const images = expectedTensor(expected, 'inputs.images');
    const ids = await vqgan.encode(images);
    expect(ids.shape).toEqual([2, vqgan.numTokens]);
    expect(Array.from(await ids.data())).toEqual(Array.from(expected.tensors.get('quantize.indices')!.data));
    const decoded = await vqgan.decode(ids);
    expect(checkTensor(expected, 'decode.out', await decoded.data(), decoded.shape)).toBeUndefined();
    tf.dispose([images, ids, decoded]);
    vqgan.dispose();
  });
});
