import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ConfigError, InputError, TitokError, WeightsError, parseModelConfig } from '@titok/core';
import { readSafetensors } from '@titok/io';
import { fixturePath, readJson } from '../../../../test/helpers/fixtures.js';
import { MaskGitVQGAN } from '../maskgit-vqgan/maskgit-vqgan.js';
import type { LoadProgressInfo } from '../types.js';
import { TiTok } from './titok.js';

const PIXEL = 'titok_tiny_vq_pixel';
const VAE = 'titok_tiny_vae';

async function load(model: string, options: Parameters<typeof TiTok.fromStateDict>[2] = {}): Promise<TiTok> {
  const sd = await readSafetensors(fs.readFileSync(fixturePath(model, 'model.safetensors')), 'model.safetensors');
  return TiTok.fromStateDict(readJson(model, 'config.json'), sd, options);
}

function images(n: number, size: number, seed = 1): tf.Tensor4D {
  return tf.randomUniform([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

async function rejects(p: Promise<unknown> | (() => unknown), type: new (...a: never[]) => Error, message: RegExp): Promise<void> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toMatch(/\n/);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TiTok public API', () => {
  let titok: TiTok;
  beforeAll(async () => {
    titok = await load(PIXEL);
  });
  afterAll(() => titok.dispose());

  it('describes itself from its config', () => {
    expect([titok.numTokens, titok.codebookSize, titok.imageSize, titok.parts]).toEqual([8, 128, 32, 'all']);
  });

  it('repeated encode / decode / reconstruct leave tf.memory().numTensors unchanged', async () => {
    const x = images(2, 32);
    const run = async () => {
      const ids = (await titok.encode(x)) as tf.Tensor2D;
      const out = await titok.decode(ids);
      const u8 = await titok.decode(ids, { output: 'uint8', batchSize: 1 });
      const rec = await titok.reconstruct(x, { batchSize: 1 });
      tf.dispose([ids, out, u8, rec]);
    };
    await run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await run();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('runs any batch size, also in chunks, with the same tokens; a single HWC image is a batch of one', async () => {
    const x = images(5, 32, 3);
    const all = (await titok.encode(x)) as tf.Tensor2D;
    const chunked = (await titok.encode(x, { batchSize: 2 })) as tf.Tensor2D;
    expect(all.shape).toEqual([5, 8]);
    expect(Array.from(await chunked.data())).toEqual(Array.from(await all.data()));
    const one = tf.tidy(() => tf.squeeze(tf.slice(x, 4, 1), [0]));
    const single = (await titok.encode(one)) as tf.Tensor2D;
    expect(Array.from(await single.data())).toEqual(Array.from(await all.data()).slice(32));
    const imgs = await titok.decode(all, { output: 'uint8' });
    expect(imgs.shape).toEqual([5, 32, 32, 3]);
    expect(imgs.dtype).toBe('int32');
    const [lo, hi] = tf.tidy(() => [tf.min(imgs).dataSync()[0], tf.max(imgs).dataSync()[0]]);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(255);
    tf.dispose([x, all, chunked, one, single, imgs]);
  });

  it('accepts 0..255 int32 images and other sizes through prepareImages', async () => {
    const big = tf.tidy(() => tf.cast(tf.mul(images(1, 48, 4), 255), 'int32'));
    const ids = (await titok.encode(big)) as tf.Tensor2D;
    expect(ids.shape).toEqual([1, 8]);
    tf.dispose([big, ids]);
  });

  it('rejects bad images with one-line InputErrors', async () => {
    await rejects(titok.encode(tf.zeros([1, 32, 32, 2])), InputError, /channel/);
    await rejects(titok.encode(tf.zeros([1, 0, 32, 3])), InputError, /0|empty|zero/);
    await rejects(titok.encode(tf.zeros([0, 32, 32, 3])), InputError, /no images|empty|batch/);
    await rejects(titok.encode(tf.zeros([32, 3])), InputError, /HWC|NHWC|shape/);
  });

  it('rejects bad token ids naming the problem', async () => {
    await rejects(titok.decode([[1, 2, 3]]), InputError, /takes 8 tokens per image, got 3/);
    await rejects(titok.decode([[0, 1, 2, 3, 4, 5, 6, 128]]), InputError, /token 7 of image 0 is 128, not an id in \[0, 128\)/);
    await rejects(titok.decode([[0, 1, 2, 3, 4, 5, -1, 0]]), InputError, /token 6 of image 0 is -1/);
    await rejects(titok.decode(tf.tensor2d([[0, 1, 2, 3, 4, 5, 6, 1.5]])), InputError, /is 1.5, not an id/);
    await rejects(titok.decode([[0, 1, 2, 3, 4, 5, 6, 7], [1, 2]]), InputError, /image 1 has 2 tokens/);
    await rejects(titok.decode(tf.zeros([0, 8], 'int32')), InputError, /batch is empty/);
    await rejects(titok.decode(tf.zeros([2, 3, 8], 'int32')), InputError, /N x L, L or N x 1 x L/);
    const nx1xl = await titok.decode(tf.zeros([1, 1, 8], 'int32'));
    expect(nx1xl.shape).toEqual([1, 32, 32, 3]);
    nx1xl.dispose();
  });

  it('reports loading progress per tensor and fails strictly with the keys listed', async () => {
    const events: LoadProgressInfo[] = [];
    const t = await load(PIXEL, { progress_callback: (e) => events.push(e) });
    const n = t.model.weightEntries().length;
    expect(events).toHaveLength(n);
    expect(events.at(-1)).toMatchObject({ status: 'loading', loaded: n, total: n, progress: 100, name: 'model.safetensors' });
    t.dispose();
    const sd = await readSafetensors(fs.readFileSync(fixturePath(PIXEL, 'model.safetensors')), 'model.safetensors');
    await rejects(TiTok.fromStateDict(readJson(VAE, 'config.json'), sd), WeightsError, /^model.safetensors: the checkpoint does not match the model: unexpected keys: quantize.embedding.weight; wrong shapes: decoder.class_embedding is \[1, 48\], the model needs \[1, 32\]/);
  });

  it('loads one half: the other half is ignored and unavailable', async () => {
    const dec = await load(PIXEL, { parts: 'decoder' });
    expect(dec.model.encoder).toBeUndefined();
    await rejects(dec.encode(images(1, 32)), ConfigError, /loaded without its encoder/);
    const out = await dec.decode([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(out.shape).toEqual([1, 32, 32, 3]);
    out.dispose();
    dec.dispose();
    const enc = await load(PIXEL, { parts: 'encoder' });
    await rejects(enc.decode([[0, 1, 2, 3, 4, 5, 6, 7]]), ConfigError, /loaded without its decoder/);
    enc.dispose();
  });

  it('cannot be used after dispose', async () => {
    const t = TiTok.fromConfig(parseModelConfig(readJson(PIXEL, 'config.json')), { seed: 1 });
    t.dispose();
    await rejects(t.encode(images(1, 32)), TitokError, /disposed/);
  });

  it('fromPretrained opens a model folder (config.json + weights) and gives the reference tokens', async () => {
    const expected = JSON.parse(fs.readFileSync(fixturePath(PIXEL, 'expected.json'), 'utf8'));
    expect(expected.tensors['quantize.indices']).toBeDefined();
    const events: string[] = [];
    const t = await TiTok.fromPretrained(fixturePath(PIXEL), { progress_callback: (e) => events.push(e.status) });
    expect(t.config.numLatentTokens).toBe(8);
    expect(events).toContain('loading');
    const a = (await t.encode(images(2, 32, 9))) as tf.Tensor2D;
    const b = (await titok.encode(images(2, 32, 9))) as tf.Tensor2D;
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([a, b]);
    t.dispose();
    await rejects(MaskGitVQGAN.fromPretrained(fixturePath(PIXEL)), ConfigError, /not a MaskGIT-VQGAN config/);
    await rejects(TiTok.fromPretrained(fixturePath('maskgit_vqgan_tiny')), ConfigError, /not a TiTok tokenizer config/);
  });
});

describe('TiTok VAE public API', () => {
  it('posterior, continuous tokens and memory', async () => {
    const t = await load(VAE);
    const x = images(2, 64);
    const run = async () => {
      const p = await t.encode(x);
      if (p instanceof tf.Tensor) throw new Error('expected a posterior');
      const z = p.sample(3);
      const out = await t.decode(z);
      const ref = await t.decode(await p.mean.array() as number[][][]);
      const rec = await t.reconstruct(x, { seed: 3 });
      expect(Array.from(await rec.data())).toEqual(Array.from(await out.data()));
      p.dispose();
      tf.dispose([z, out, ref, rec]);
    };
    await run();
    const before = tf.memory().numTensors;
    await run();
    expect(tf.memory().numTensors).toBe(before);
    await rejects(t.decode(tf.zeros([2, 8, 15])), InputError, /tokens have 16 channels, got 15/);
    await rejects(t.decode(tf.zeros([2, 7, 16])), InputError, /takes 8 tokens per image, got 7/);
    await rejects(t.decode(tf.fill([1, 8, 16], NaN)), InputError, /not finite/);
    const nc1l = await t.decode(tf.zeros([1, 16, 1, 8]));
    expect(nc1l.shape).toEqual([1, 64, 64, 3]);
    tf.dispose([x, nc1l]);
    t.dispose();
  });
});

describe('MaskGitVQGAN public API (wasm: its convolutions are slow on the cpu backend)', () => {
  beforeAll(() => tf.setBackend('wasm'));
  afterAll(() => tf.setBackend('cpu'));

  it('encodes to h·w ids, decodes, checks ids and frees its tensors', async () => {
    const sd = await readSafetensors(fs.readFileSync(fixturePath('maskgit_vqgan_tiny', 'model.safetensors')), 'model.safetensors');
    const m = await MaskGitVQGAN.fromStateDict(readJson('maskgit_vqgan_tiny', 'config.json'), sd);
    expect([m.numTokens, m.codebookSize, m.imageSize]).toEqual([16, 1024, 64]);
    const x = images(1, 64);
    const ids = await m.encode(x);
    const before = tf.memory().numTensors;
    const out = await m.decode(ids);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await rejects(m.decode([new Array(16).fill(1024)]), InputError, /not an id in \[0, 1024\)/);
    await rejects(m.decode([new Array(15).fill(0)]), InputError, /takes 16 tokens per image, got 15/);
    tf.dispose([x, ids]);
    m.dispose();
  });
});
