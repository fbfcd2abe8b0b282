/**
 * The analytic FLOP counters of @titok/core (used by `npm run bench`) against an independent
 * op-level count: every matrix product and convolution kernel the cpu backend runs is wrapped
 * to add 2·multiply-adds from its shapes, while the tiny fixture models run each stage.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { generatorCallFlops, generatorFlops, tokenizerFlops } from '@titok/core';
import type { TitokConfig } from '@titok/core';
import { TiTok, resolveTitokConfig } from '@titok/tokenizer';
import { TitokGenerator } from '@titok/generator';
import { TOKENIZER_FIXTURES, readJson } from '../helpers/fixtures.js';
import { GENERATOR_FIXTURES, generatorConfig } from '../generator/generator-fixtures.js';

let counted = 0;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** 2·(batch·m·n·k) of a (batched) product, from the kernel's inputs and attributes. */
function matMulFlops(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): number {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batch = Math.max(size(a.shape.slice(0, -2)), size(b.shape.slice(0, -2)));
  return 2 * batch * m * n * k;
}

/** 2·(output elements · kernel area · in channels) of an NHWC convolution. */
function convFlops(x: tf.TensorInfo, filter: tf.TensorInfo, out: tf.TensorInfo): number {
  const [kh, kw, cin] = filter.shape as number[];
  return 2 * size(out.shape) * kh! * kw! * cin!;
}

const COUNTERS: Record<string, (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, out: tf.TensorInfo) => number> = {
  BatchMatMul: (i, a) => matMulFlops(i.a!, i.b!, !!a.transposeA, !!a.transposeB),
  _FusedMatMul: (i, a) => matMulFlops(i.a!, i.b!, !!a.transposeA, !!a.transposeB),
  Conv2D: (i, _a, o) => convFlops(i.x!, i.filter!, o),
  FusedConv2D: (i, _a, o) => convFlops(i.x!, i.filter!, o),
};

const originals: tf.KernelConfig[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const [name, count] of Object.entries(COUNTERS)) {
    const k = tf.getKernel(name, 'cpu')!;
    originals.push(k);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }) => {
        const out = (k.kernelFunc as unknown as (a: unknown) => tf.TensorInfo)(args);
        counted += count(args.inputs, args.attrs, out);
        return out;
      }) as unknown as tf.KernelFunc,
    });
  }
});

afterAll(() => {
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel(k);
  }
});

async function count(run: () => tf.Tensor | Promise<unknown>): Promise<number> {
  counted = 0;
  const r = await run();
  if (r instanceof tf.Tensor) r.dispose();
  return counted;
}

describe('analytic FLOP counts equal the op-level count on the tiny fixture models', () => {
  it.each(TOKENIZER_FIXTURES)('%s: encode, decode and reconstruct, batch 2', async (name) => {
    const config = resolveTitokConfig(readJson(name, 'config.json')) as TitokConfig;
    const titok = TiTok.fromConfig(config, { seed: 1 });
    const n = 2;
    const images = tf.randomUniform([n, config.imageSize, config.imageSize, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    try {
      const m = titok.model;
      const enc = await count(() => (config.quantizeMode === 'vq' ? m.encodeIds(images) : m.encodeLatents(images)));
      expect(enc).toBe(n * tokenizerFlops(config, 'encode'));
      expect(enc).toBeGreaterThan(0);
      const tokens =
        config.quantizeMode === 'vq'
          ? tf.zeros([n, config.numLatentTokens], 'int32')
          : tf.zeros([n, config.numLatentTokens, config.tokenSize]);
      const dec = await count(() => (config.quantizeMode === 'vq' ? m.decodeIds(tokens as tf.Tensor2D) : m.decodeLatents(tokens as tf.Tensor3D)));
      tokens.dispose();
      expect(dec).toBe(n * tokenizerFlops(config, 'decode'));
      const rec = await count(() => m.reconstruct(images));
      expect(rec).toBe(n * tokenizerFlops(config, 'reconstruct'));
    } finally {
      images.dispose();
      titok.dispose();
    }
  });

  it.each(GENERATOR_FIXTURES)('%s: one network call, a guided step and a full generation', async (name) => {
    const config = generatorConfig(name);
    const gen = TitokGenerator.fromConfig(config, { seed: 1 });
    try {
      const L = config.imageSeqLen;
      const calls = await count(() => gen.network.logits(new Int32Array(3 * L).fill(config.codebookSize), new Int32Array(3).fill(config.codebookSize + 1)));
      expect(calls).toBe(3 * generatorCallFlops(config));
      const step = await count(() => gen.generate([0, 1], { numSteps: 1, guidanceDecay: 'constant', guidanceScale: 2, seed: 1 }));
      expect(step).toBe(2 * generatorFlops(config, 'step'));
      const full = await count(() => gen.generate([0, 1], { seed: 1 }));
      expect(full).toBe(2 * generatorFlops(config, 'generate'));
    } finally {
      gen.dispose();
    }
  });
});
