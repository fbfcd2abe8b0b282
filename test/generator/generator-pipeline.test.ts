/**
 * The generator API end to end on the tiny fixtures: loading (folder, .bin, the BERT
 * position_ids buffer), reproducible sampling across runs and backends, progress, cancellation,
 * bad input, memory, and the class -> tokens -> images pipeline with the paired tokenizer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, ConfigError, InputError, WeightsError } from '@titok/core';
import type { BackendName, StateDict, StateDictTensor } from '@titok/core';
import { readSafetensors } from '@titok/io';
import * as fs from 'node:fs';
import { TitokGenerator, assertPairable, generateImages } from '@titok/generator';
import { TiTok } from '@titok/tokenizer';
import { releaseTestBackend, useTestBackend } from '../helpers/backends.js';
import { fixturePath } from '../helpers/fixtures.js';
import { generatorConfig } from './generator-fixtures.js';

/** Same seed, same tokens on each of these (webgpu: Dawn, with SwiftShader where there is no GPU). */
const BACKENDS: BackendName[] = ['cpu', 'wasm', 'webgpu'];
const BERT = fixturePath('generator_tiny_bert');
const UVIT = fixturePath('generator_tiny_uvit');

let bert: TitokGenerator;
let uvit: TitokGenerator;
let tokenizer: TiTok;

beforeAll(async () => {
  // wasm: about ten times faster than cpu here; the cross-backend test also runs cpu.
  await useTestBackend('wasm');
  bert = await TitokGenerator.fromPretrained(BERT);
  uvit = await TitokGenerator.fromPretrained(UVIT);
  tokenizer = await TiTok.fromPretrained(fixturePath('titok_tiny_vq_legacy'), { parts: 'decoder' });
});
afterAll(async () => {
  bert?.dispose();
  uvit?.dispose();
  tokenizer?.dispose();
  await releaseTestBackend();
});

describe('loading', () => {
  it('reads the config beside the weights', () => {
    expect(bert.config).toEqual(generatorConfig('generator_tiny_bert'));
    expect(bert.network.constructor.name).toBe('BertGenerator');
    expect(uvit.network.constructor.name).toBe('UVitGenerator');
    expect([bert.numTokens, bert.codebookSize, bert.numClasses]).toEqual([8, 64, 10]);
  });

  it('loads the torch .bin checkpoint to the same weights', async () => {
    const fromBin = await TitokGenerator.fromPretrained(fixturePath('generator_tiny_bert', 'pytorch_model.bin'), { config: fixturePath('generator_tiny_bert', 'config.json') });
    try {
      const a = await bert.generate([1, 4], { seed: 3 });
      const b = await fromBin.generate([1, 4], { seed: 3 });
      expect(b.tokens).toEqual(a.tokens);
    } finally {
      fromBin.dispose();
    }
  });

  it('accepts and ignores the position_ids buffer of older BERT checkpoints, and nothing else', async () => {
    const sd = await readSafetensors(fs.readFileSync(fixturePath('generator_tiny_bert', 'model.safetensors')), 'model.safetensors');
    const extra = (name: string, shape: number[]): StateDictTensor => ({
      name, dtype: 'I64', shape, byteLength: 8 * shape.reduce((a, b) => a * b, 1), read: async () => new Uint8Array(8 * shape.reduce((a, b) => a * b, 1)),
    });
    const withKey = (name: string, shape: number[]): StateDict => ({ ...sd, tensors: new Map([...sd.tensors, [name, extra(name, shape)]]) });
    const g = await TitokGenerator.fromStateDict(bert.config, withKey('model.embeddings.position_ids', [1, 9]));
    expect((await g.generate([0], { seed: 1 })).tokens).toEqual((await bert.generate([0], { seed: 1 })).tokens);
    g.dispose();
    await expect(TitokGenerator.fromStateDict(bert.config, withKey('model.embeddings.token_type_ids', [1, 9]))).rejects.toThrow(WeightsError);
    const usd = await readSafetensors(fs.readFileSync(fixturePath('generator_tiny_uvit', 'model.safetensors')), 'model.safetensors');
    const uvitWith: StateDict = { ...usd, tensors: new Map([...usd.tensors, ['model.embeddings.position_ids', extra('model.embeddings.position_ids', [1, 9])]]) };
    await expect(TitokGenerator.fromStateDict(uvit.config, uvitWith)).rejects.toThrow(/unexpected keys: model.embeddings.position_ids$/);
    await expect(TitokGenerator.fromStateDict(uvit.config, sd)).rejects.toThrow(
      "model.safetensors: these are a BERT (ViT) generator's weights (model.* keys) but the config describes a U-ViT generator",
    );
  });

  it('refuses a tokenizer folder as a generator, naming what is missing', async () => {
    await expect(TitokGenerator.fromPretrained(fixturePath('titok_tiny_vq_legacy'))).rejects.toThrow(ConfigError);
    await expect(TitokGenerator.fromPretrained(fixturePath('titok_tiny_vq_legacy'))).rejects.toThrow(
      /titok_tiny_vq_legacy\/model.safetensors: these are a TiTok tokenizer's weights \(encoder.\/decoder. keys\), not a generator's$/,
    );
  });
});

describe('sampling with a seed', () => {
  it('gives the same tokens on every run and every backend, and other tokens for another seed', async () => {
    const results: Record<string, number[][]> = {};
    for (const backend of BACKENDS) {
      await useTestBackend(backend);
      // Fresh weights on each backend: tensors moved to webgpu cannot be read back synchronously.
      for (const [name, dir] of [['bert', BERT], ['uvit', UVIT]] as const) {
        const g = await TitokGenerator.fromPretrained(dir);
        try {
          const a = await g.generate([0, 5, 9], { seed: 1234 });
          expect(a.tokens.flat().every((t) => Number.isInteger(t) && t >= 0 && t < 64)).toBe(true);
          results[`${name}/${backend}`] = a.tokens;
          if (backend === 'wasm') {
            expect((await g.generate([0, 5, 9], { seed: 1234 })).tokens).toEqual(a.tokens);
            expect((await g.generate([0, 5, 9], { seed: 1235 })).tokens).not.toEqual(a.tokens);
          }
        } finally {
          g.dispose();
        }
      }
    }
    await useTestBackend('wasm');
    for (const name of ['bert', 'uvit']) {
      for (const backend of BACKENDS) expect([name, backend, results[`${name}/${backend}`]]).toEqual([name, backend, results[`${name}/cpu`]]);
    }
  });

  it('uses the released defaults unless told otherwise, and records every step', async () => {
    const out = await bert.generate(3, { seed: 9 });
    expect(out.settings).toEqual(bert.config.sampling);
    expect(out.steps.length).toBe(bert.config.sampling.numSteps);
    expect(out.labels).toEqual([3]);
    const masked = out.steps.map((s) => Array.from(s.ids).filter((v) => v === 64).length);
    expect(masked[masked.length - 1]).toBe(0);
    expect(masked.slice(0, -1).every((m) => m > 0)).toBe(true);
    const fewer = await bert.generate(3, { seed: 9, numSteps: 2, guidanceDecay: 'constant', guidanceScale: 1.5, randomizeTemperature: 2, softmaxTemperatureAnnealing: true });
    expect(fewer.steps.length).toBe(2);
    expect(fewer.settings).toMatchObject({ numSteps: 2, guidanceDecay: 'constant', guidanceScale: 1.5, softmaxTemperatureAnnealing: true });
  });

  it('reports progress after every step and stops on abort', async () => {
    const seen: [number, number, number][] = [];
    await uvit.generate([1, 2], {
      seed: 4,
      numSteps: 5,
      progress_callback: (p) => seen.push([p.step, p.total, p.tokens.flat().filter((t) => t === 64).length]),
    });
    expect(seen.map((s) => s[0])).toEqual([0, 1, 2, 3, 4]);
    expect(seen.every((s) => s[1] === 5)).toBe(true);
    expect(seen[4]![2]).toBe(0);
    const ctrl = new AbortController();
    const before = tf.memory().numTensors;
    await expect(
      uvit.generate([1], { seed: 4, numSteps: 5, signal: ctrl.signal, progress_callback: (p) => p.step === 1 && ctrl.abort(new Error('user pressed stop')) }),
    ).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    [[10], {}, /class 10 is out of range: this generator has classes 0..9/],
    [['tench'], {}, /names are ImageNet classes, but this generator has 10 classes/],
    [[0], { numSteps: 0 }, /number of steps must be an integer of at least 1, got 0/],
    [[0], { guidanceScale: -0.5 }, /guidance scale must be a finite number >= 0, got -0.5/],
    [[0], { seed: -3 }, /seed must be a non-negative integer/],
  ])('refuses classes %j with %j', async (classes, opts, message) => {
    await expect(bert.generate(classes, opts)).rejects.toThrow(InputError);
    await expect(bert.generate(classes, opts)).rejects.toThrow(message);
  });

  it('leaves the number of tensors unchanged over repeated generations', async () => {
    await bert.generate([0], { seed: 1 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await bert.generate([0, 1], { seed: i });
      await uvit.generate([2], { seed: i });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('class -> tokens -> images', () => {
  it('decodes the generated tokens with the paired tokenizer', async () => {
    await generateImages(bert, tokenizer, [0], { seed: 1 }).then((r) => r.images.dispose());
    const before = tf.memory().numTensors;
    const r = await generateImages(bert, tokenizer, [2, '7'], { seed: 21 });
    expect(r.images.shape).toEqual([2, 64, 64, 3]);
    const px = await r.images.data();
    expect(px.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(r.tokens).toEqual((await bert.generate([2, 7], { seed: 21 })).tokens);
    const direct = await tokenizer.decode(r.tokens);
    expect(Array.from(await direct.data())).toEqual(Array.from(px));
    direct.dispose();
    r.images.dispose();
    const u8 = await generateImages(uvit, tokenizer, [2], { seed: 21, output: 'uint8' });
    expect(u8.images.shape).toEqual([1, 64, 64, 3]);
    expect((await u8.images.data()).every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    u8.images.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a tokenizer whose codebook size or token count differs from the generator', async () => {
    const pixel = await TiTok.fromPretrained(fixturePath('titok_tiny_vq_pixel'), { parts: 'decoder' });
    try {
      await expect(generateImages(bert, pixel, [0])).rejects.toThrow(ConfigError);
      await expect(generateImages(bert, pixel, [0])).rejects.toThrow(
        "the generator makes tokens from a codebook of 64 but the tokenizer's codebook has 128: use the tokenizer the generator was trained with",
      );
    } finally {
      pixel.dispose();
    }
    const fake = { codebookSize: 64, numTokens: 16, config: { ...tokenizer.config, numLatentTokens: 16 } };
    expect(() => assertPairable(bert, fake)).toThrow('the generator makes 8 tokens per image but the tokenizer decodes 16');
    expect(() => assertPairable(bert, { ...fake, config: { ...tokenizer.config, quantizeMode: 'vae' } })).toThrow(/continuous \(VAE\) tokens/);
  });
});
