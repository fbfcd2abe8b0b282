/**
 * TiTok parity on WebGPU (Node: Dawn, with the SwiftShader software adapter when there is no
 * GPU): the three tiny tokenizer fixtures, every recorded intermediate and output within the
 * fixtures' tolerances, token ids exactly. Uses the parity harness of test/parity.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseModelConfig, toTracer } from '@titok/core';
import type { BackendInfo } from '@titok/core';
import { TiTok } from '@titok/tokenizer';
import { readJson } from '../helpers/fixtures.js';
import { releaseTestBackend, useTestBackend } from '../helpers/backends.js';
import { checkTensor, expectedTensor, loadFixture, readWeights, weightFormats } from '../parity/harness.js';
import type { Expected, TraceRecorder } from '../parity/harness.js';
import { AsyncTraceRecorder } from './async-trace.js';

async function loadTitok(model: string): Promise<TiTok> {
  const format = weightFormats(model).find((f) => f.kind === 'float32')!;
  const sd = await readWeights(model, format);
  try {
    return await TiTok.fromStateDict(parseModelConfig(readJson(model, 'config.json')), sd);
  } finally {
    await sd.close();
  }
}

function expectAllClose(rec: TraceRecorder, expected: Expected, required: string[]): void {
  const { failures, compared } = rec.compareAll(expected);
  expect(failures).toEqual([]);
  expect(required.filter((n) => !compared.includes(n))).toEqual([]);
}

/** Every reference tensor of the forward pass except inputs and `exclude`. */
function forwardNames(expected: Expected, exclude: RegExp): string[] {
  return [...expected.tensors.keys(), ...Object.keys(expected.omitted)].filter((n) => !/^inputs\./.test(n) && !exclude.test(n));
}

let info: BackendInfo;

beforeAll(async () => {
  info = await useTestBackend('webgpu');
});

afterAll(async () => {
  await releaseTestBackend();
});

it('runs on a WebGPU adapter and reports it', () => {
  expect(tf.getBackend()).toBe('webgpu');
  expect(info.backend).toBe('webgpu');
  expect(info.adapter).toBeDefined();
  expect(typeof info.adapter!.isFallbackAdapter).toBe('boolean');
  expect(typeof info.adapter!.shaderF16).toBe('boolean');
});

describe.each(['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel'])('%s on webgpu', (model) => {
  let expected: Expected;
  let titok: TiTok;

  beforeAll(async () => {
    expected = await loadFixture(model);
    titok = await loadTitok(model);
  });

  afterAll(() => titok?.dispose());

  it('forward pass: every intermediate within tolerance, exact token ids', async () => {
    const rec = new AsyncTraceRecorder();
    tf.tidy(() => {
      const images = expectedTensor(expected, 'inputs.images') as tf.Tensor4D;
      rec.keep('decoded', titok.model.reconstruct(images, { trace: toTracer(rec.keep) }));
    });
    await rec.flush();
    expectAllClose(rec, expected, forwardNames(expected, /^decode_tokens\./));
    expect(Array.from(rec.values.get('quantize.indices')?.data ?? [])).toEqual(Array.from(expected.tensors.get('quantize.indices')!.data));
  });

  it('public API: encode gives the reference ids, decode the reference images, no tensor left behind', async () => {
    const images = expectedTensor(expected, 'inputs.images');
    const before = tf.memory().numTensors;
    const ids = (await titok.encode(images)) as tf.Tensor2D;
    expect(Array.from(await ids.data())).toEqual(Array.from(expected.tensors.get('quantize.indices')!.data));
    const u8 = await titok.decode(ids, { output: 'uint8' });
    expect(checkTensor(expected, 'decode_tokens.uint8', await u8.data(), u8.shape)).toBeUndefined();
    tf.dispose([ids, u8]);
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });
});

describe('titok_tiny_vae on webgpu', () => {
  it('posterior, sample and both decodes within tolerance', async () => {
    const model = 'titok_tiny_vae';
    const expected = await loadFixture(model);
    const titok = await loadTitok(model);
    const encodeRec = new AsyncTraceRecorder();
    const meanRec = new AsyncTraceRecorder();
    tf.tidy(() => {
      const images = expectedTensor(expected, 'inputs.images') as tf.Tensor4D;
      const trace = toTracer(encodeRec.keep);
      const posterior = titok.model.posterior(titok.model.encodeLatents(images, trace), trace);
      const sample = posterior.sample(tf.reshape(expectedTensor(expected, 'posterior.noise'), posterior.mean.shape));
      encodeRec.keep('posterior.sample', sample);
      encodeRec.keep('decode_of_sample', titok.model.decodeLatents(sample as tf.Tensor3D));
      meanRec.keep('decode_of_mean', titok.model.decodeLatents(posterior.mean as tf.Tensor3D, toTracer(meanRec.keep)));
      posterior.dispose();
    });
    await Promise.all([encodeRec.flush(), meanRec.flush()]);
    expectAllClose(encodeRec, expected, forwardNames(expected, /^(decode_of_mean|decoder\.|clamp_test\.|posterior\.noise)/));
    expectAllClose(meanRec, expected, forwardNames(expected, /^(?!decoder\.|decode_of_mean)/));
    titok.dispose();
  });
});
