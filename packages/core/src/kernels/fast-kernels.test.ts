/**
 * titok-js' wasm kernels against the stock tfjs ops they replace (same backend, kernels off),
 * on odd sizes (tails of SIMD loops, chunked products), and their bookkeeping: no leaked
 * tensors, packed weight copies freed with their weights, gradients through stock ops.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { multiHeadAttention, packedAttention } from '../layers/attention.js';
import { SIMD_SOURCE_SHA256 } from './simd-binary.js';
import { setSimdAttentionMaxTokens } from './wasm-attention.js';
import { gelu } from '../layers/gelu.js';
import { GroupNorm } from '../layers/group-norm.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { linearProduct } from '../layers/linear-product.js';
import { silu } from '../layers/silu.js';
import { withParamInit } from '../layers/titok-layer.js';
import { canRunFastKernels, releaseKernelCaches, useFastKernels } from './fast-kernels.js';
import { setWasmWeightCache, wasmWeightCacheStats } from './wasm-linear.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

/** max |fast − stock| of f, computed with the kernels on and off. */
function diff(f: () => tf.Tensor): number {
  return tf.tidy(() => {
    useFastKernels(true);
    const fast = f();
    useFastKernels(false);
    const stock = f();
    useFastKernels(true);
    return tf.max(tf.abs(tf.sub(fast, stock))).dataSync()[0]!;
  });
}

const rand = (shape: number[], seed: number, scale = 1) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);

describe('titok-js wasm kernels equal the stock ops', () => {
  it('run at all here (wasm 4.22, no gradient tape)', () => {
    expect(canRunFastKernels()).toBe(true);
  });

  it('GELU and SiLU, including a tail shorter than a SIMD vector', () => {
    const x = rand([3, 5, 7], 1, 4); // 105 values
    expect(diff(() => gelu(x))).toBeLessThan(2e-6);
    expect(diff(() => silu(x))).toBeLessThan(2e-6);
    x.dispose();
  });

  it('LayerNorm (eps 1e-5 and BERT 1e-12), width not a multiple of 4', () => {
    for (const [dim, eps] of [[30, 1e-5], [64, 1e-12]] as const) {
      const ln = withParamInit({ seed: 4 }, () => new LayerNorm({ dim, eps }));
      const w = ln.namedWeights();
      w.get('weight')!.write(tf.add(rand([dim], 5), 1));
      w.get('bias')!.write(rand([dim], 6));
      const x = tf.add(rand([2, 9, dim], 7, 3), 2);
      expect(diff(() => ln.forward(x))).toBeLessThan(2e-5);
      x.dispose();
      ln.disposeAll();
    }
  });

  it('GroupNorm, and GroupNorm then SiLU (SIMD when channels are a multiple of 4)', () => {
    for (const c of [64, 6]) {
      const gn = new GroupNorm({ numChannels: c, numGroups: c === 64 ? 32 : 3 });
      gn.namedWeights().get('weight')!.write(tf.add(rand([c], 8), 1));
      gn.namedWeights().get('bias')!.write(rand([c], 9));
      const x = tf.add(rand([2, 5, 7, c], 10, 2), 0.5);
      expect(diff(() => gn.forward(x))).toBeLessThan(2e-5);
      expect(diff(() => gn.forwardSilu(x))).toBeLessThan(2e-5);
      x.dispose();
      gn.disposeAll();
    }
  });

  it('attention: SIMD (short sequences, packed or three tensors) and XNNPACK products (long ones)', () => {
    const qkv = rand([3, 21, 3 * 24], 11) as tf.Tensor3D;
    expect(diff(() => packedAttention(qkv, 3))).toBeLessThan(1e-5);
    const [q, k, v] = tf.split(qkv, 3, 2);
    expect(diff(() => multiHeadAttention(q!, k!, v!, 3))).toBeLessThan(1e-5);
    const was = setSimdAttentionMaxTokens(0);
    expect(diff(() => packedAttention(qkv, 3))).toBeLessThan(1e-5);
    setSimdAttentionMaxTokens(was);
    tf.dispose([qkv, q!, k!, v!]);
  });

  it('the SIMD module was built from the kernels.c in the repository', () => {
    const src = fs.readFileSync(path.join(__dirname, '../../simd/kernels.c'));
    expect(crypto.createHash('sha256').update(src).digest('hex')).toBe(SIMD_SOURCE_SHA256);
  });

  it('linear products: a kept packed copy (small weight) and the in-place way (large weight, several chunks)', () => {
    const x = rand([300, 40], 12) as tf.Tensor2D;
    const w = rand([24, 40], 13) as tf.Tensor2D;
    const b = rand([24], 14);
    expect(diff(() => linearProduct(x, w, b))).toBeLessThan(1e-4);
    expect(diff(() => linearProduct(x, w))).toBeLessThan(1e-4);
    const before = setWasmWeightCache();
    setWasmWeightCache({ maxWeightBytes: 0 }); // every weight the in-place way
    const big = rand([1000, 3000], 15) as tf.Tensor2D; // K = 3000: chunks of 40 rows
    const wb = rand([50, 3000], 16) as tf.Tensor2D;
    const b50 = rand([50], 22);
    expect(diff(() => linearProduct(big, wb, b50))).toBeLessThan(1e-3);
    b50.dispose();
    setWasmWeightCache(before);
    tf.dispose([x, w, b, big, wb]);
  });
});

describe('bookkeeping', () => {
  it('leaves no tensors behind', () => {
    const x = rand([2, 10, 48], 17) as tf.Tensor3D;
    const w = rand([48, 48], 18) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        gelu(x);
        silu(x);
        packedAttention(tf.concat([x, x, x], 2) as tf.Tensor3D, 4);
        linearProduct(tf.reshape(x, [20, 48]) as tf.Tensor2D, w);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });

  it('keeps a packed copy per live weight, re-packs a changed one, and frees them with their weights', () => {
    const init = rand([16, 32], 19) as tf.Tensor2D;
    const v = tf.variable(init);
    init.dispose();
    const x = rand([5, 32], 20) as tf.Tensor2D;
    releaseKernelCaches(); // drop the copies of earlier tests' (disposed) weights
    const start = wasmWeightCacheStats().packedWeights;
    const first = tf.tidy(() => linearProduct(x, v).arraySync());
    expect(wasmWeightCacheStats().packedWeights).toBe(start + 1);
    const doubled = tf.mul(v, 2) as tf.Tensor2D;
    v.assign(doubled); // a new value: a new data id, packed again
    doubled.dispose();
    const second = tf.tidy(() => linearProduct(x, v).arraySync());
    second.forEach((row, i) => row.forEach((y, j) => expect(y).toBeCloseTo(2 * first[i]![j]!, 4)));
    v.dispose();
    withParamInit({ seed: 1 }, () => new LayerNorm({ dim: 4 })).disposeAll(); // disposeAll prunes the cache
    expect(wasmWeightCacheStats().packedWeights).toBe(start);
    x.dispose();
  });

  it('records gradients through the stock ops', () => {
    const x = rand([4, 8], 21);
    const g = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
    const want = tf.tidy(() => {
      useFastKernels(false);
      const r = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
      useFastKernels(true);
      return r;
    });
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(g, want))).dataSync()[0]!)).toBe(0);
    tf.dispose([x, g, want]);
  });
});
