/**
 * TiTok parity with the reference: every recorded intermediate and output of the three tiny
 * tokenizer fixtures, on every parity backend, from every weight format; token ids exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseModelConfig, toTracer } from '@titok/core';
import { TiTok } from '@titok/tokenizer';
import { compareClose, readJson } from '../helpers/fixtures.js';
import {
  PARITY_BACKENDS,
  TraceRecorder,
  checkTensor,
  expectedTensor,
  loadFixture,
  readWeights,
  useBackend,
  parityFormats,
} from './harness.js';
import type { Expected, WeightFormat } from './harness.js';

const VQ_FIXTURES = ['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel'];

/** Names of `expected` the forward pass must reproduce (all but inputs and other passes). */
function forwardNames(expected: Expected, exclude: RegExp): string[] {
  return [...expected.tensors.keys(), ...Object.keys(expected.omitted)].filter((n) => !/^inputs\./.test(n) && !exclude.test(n));
}

function expectAllClose(recorder: TraceRecorder, expected: Expected, required: string[]): void {
  const { failures, compared } = recorder.compareAll(expected);
  expect(failures).toEqual([]);
  expect(required.filter((n) => !compared.includes(n))).toEqual([]);
}

async function loadTitok(model: string, format: WeightFormat): Promise<TiTok> {
  const sd = await readWeights(model, format);
  try {
    return await TiTok.fromStateDict(parseModelConfig(readJson(model, 'config.json')), sd);
  } finally {
    await sd.close();
  }
}

describe.each(PARITY_BACKENDS)('TiTok parity on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(VQ_FIXTURES)('%s', (model) => {
    let expected: Expected;
    beforeAll(async () => {
      expected = await loadFixture(model);
    });

    const formats = parityFormats(model, backend).filter((f) => f.kind === 'float32');
    it.each(formats.map((f) => [f.name, f] as const))('forward pass from %s: every intermediate, exact token ids', async (_n, format) => {
      const titok = await loadTitok(model, format);
      const rec = new TraceRecorder();
      tf.tidy(() => {
        const images = expectedTensor(expected, 'inputs.images') as tf.Tensor4D;
        rec.hook('decoded', titok.model.reconstruct(images, { trace: toTracer(rec.hook) }));
      });
      expectAllClose(rec, expected, forwardNames(expected, /^decode_tokens\./));
      titok.dispose();
    });

    it.each(formats.map((f) => [f.name, f] as const))('public API from %s: encode ids, decode float and uint8', async (_n, format) => {
      const titok = await loadTitok(model, format);
      const images = expectedTensor(expected, 'inputs.images');
      const ids = (await titok.encode(images)) as tf.Tensor2D;
      expect(ids.dtype).toBe('int32');
      expect(ids.shape).toEqual([2, titok.numTokens]);
      expect(Array.from(await ids.data())).toEqual(Array.from(expected.tensors.get('quantize.indices')!.data));

      // The decoder's raw output is recorded as `<last module>.out`; the result is it, clamped.
      const rec = new TraceRecorder();
      const floats = await titok.decode(ids, { trace: rec.hook });
      const last = rec.values.get(titok.config.isLegacy ? 'pixel_decoder.out' : 'decoder.out')!;
      expect(checkTensor(expected, 'decode_tokens.out', last.data, last.shape)).toBeUndefined();
      const clamped = Float32Array.from(last.data, (v) => Math.min(1, Math.max(0, v)));
      expect(Array.from(await floats.data())).toEqual(Array.from(clamped));
      const u8 = await titok.decode(await ids.array(), { output: 'uint8' });
      expect(u8.dtype).toBe('int32');
      expect(checkTensor(expected, 'decode_tokens.uint8', await u8.data(), u8.shape)).toBeUndefined();
      tf.dispose([images, ids, floats, u8]);
      titok.dispose();
    });

    const reduced = parityFormats(model, backend).filter((f) => f.kind !== 'float32');
    if (reduced.length) {
      it.each(reduced.map((f) => [f.name, f] as const))('decodes the reference tokens with %s weights', async (_n, format) => {
        const titok = await loadTitok(model, format);
        const ids = expectedTensor(expected, 'quantize.indices', 'int32');
        const raw = tf.tidy(() => titok.model.decodeIds(tf.reshape(ids, [2, -1]) as tf.Tensor2D));
        expect(checkTensor(expected, `decode_tokens.out_${format.kind}_weights`, await raw.data(), raw.shape)).toBeUndefined();
        tf.dispose([ids, raw]);
        titok.dispose();
      });
    }
  });

  describe('titok_tiny_vae', () => {
    const model = 'titok_tiny_vae';
    let expected: Expected;
    beforeAll(async () => {
      expected = await loadFixture(model);
    });

    it.each(parityFormats(model, backend).map((f) => [f.name, f] as const))('posterior, sample and both decodes from %s', async (_n, format) => {
      const titok = await loadTitok(model, format);
      const encodeRec = new TraceRecorder();
      const meanRec = new TraceRecorder();
      tf.tidy(() => {
        const images = expectedTensor(expected, 'inputs.images') as tf.Tensor4D;
        const trace = toTracer(encodeRec.hook);
        const posterior = titok.model.posterior(titok.model.encodeLatents(images, trace), trace);
        const noise = tf.reshape(expectedTensor(expected, 'posterior.noise'), posterior.mean.shape);
        const sample = posterior.sample(noise);
        encodeRec.hook('posterior.sample', sample);
        encodeRec.hook('decode_of_sample', titok.model.decodeLatents(sample as tf.Tensor3D));
        meanRec.hook('decode_of_mean', titok.model.decodeLatents(posterior.mean as tf.Tensor3D, toTracer(meanRec.hook)));
        posterior.dispose();
      });
      const encoderNames = forwardNames(expected, /^(decode_of_mean|decoder\.|clamp_test\.|posterior\.noise)/);
      expectAllClose(encodeRec, expected, encoderNames);
      expectAllClose(meanRec, expected, [...forwardNames(expected, /^(?!decoder\.|decode_of_mean)/)]);
      titok.dispose();
    });

    it('clamps logvar to [-30, 20] (clamp_test)', async () => {
      const titok = TiTok.fromConfig(parseModelConfig(readJson(model, 'config.json')), { seed: 1, parts: 'decoder' });
      const rec = new TraceRecorder();
      tf.tidy(() => {
        const params = tf.squeeze(expectedTensor(expected, 'clamp_test.parameters'), [1]) as tf.Tensor3D;
        titok.model.posterior(params, toTracer((name, t) => rec.hook(name.replace(/^posterior\./, 'clamp_test.'), t))).dispose();
      });
      expectAllClose(rec, expected, ['clamp_test.mean', 'clamp_test.logvar', 'clamp_test.std']);
      titok.dispose();
    });

    it('public API: encode gives a posterior whose mode decodes like decode_of_mean', async () => {
      const [format] = parityFormats(model, backend);
      const titok = await loadTitok(model, format!);
      const images = expectedTensor(expected, 'inputs.images');
      const posterior = await titok.encode(images);
      if (posterior instanceof tf.Tensor) throw new Error('a VAE must return a posterior');
      expect(posterior.mean.shape).toEqual([2, titok.numTokens, titok.config.tokenSize]);
      expect(checkTensor(expected, 'posterior.mean', await posterior.mean.data(), posterior.mean.shape)).toBeUndefined();
      expect(checkTensor(expected, 'posterior.logvar', await posterior.logvar.data(), posterior.logvar.shape)).toBeUndefined();
      const mode = posterior.mode();
      const decoded = await titok.decode(mode);
      const want = tf.tidy(() => tf.clipByValue(expectedTensor(expected, 'decode_of_mean'), 0, 1));
      const c = compareClose('decode(mode)', await decoded.data(), await want.data(), expected.tensors.get('decode_of_mean')!.tolerance);
      expect(c.message).toMatch(/ok/);
      const s1 = posterior.sample(7);
      const s2 = posterior.sample(7);
      expect(Array.from(await s1.data())).toEqual(Array.from(await s2.data()));
      tf.dispose([images, mode, decoded, want, s1, s2]);
      posterior.dispose();
      titok.dispose();
    });
  });
});
