import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Conv2d } from './conv2d.js';
import { depthToSpace } from './depth-to-space.js';
import { GroupNorm } from './group-norm.js';
import { PatchEmbed } from './patch-embed.js';
import { withParamInit } from './titok-layer.js';
import { upsampleNearest } from './upsample-nearest.js';
import { ResnetBlock } from './vqgan-resnet-block.js';

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** PyTorch-style NCHW convolution with OIHW weights, padding (top/left, bottom/right). */
function convRef(x: Float32Array, [n, c, h, w]: number[], wt: Float32Array, o: number, k: number, stride: number, pad: [number, number], bias?: Float32Array) {
  const oh = Math.floor((h + pad[0] + pad[1] - k) / stride) + 1;
  const ow = Math.floor((w + pad[0] + pad[1] - k) / stride) + 1;
  const out = new Float64Array(n * o * oh * ow);
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = bias ? bias[oc]! : 0;
          for (let ic = 0; ic < c; ic++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = y * stride + ky - pad[0];
                const ix = xx * stride + kx - pad[0];
                if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
                acc += x[((b * c + ic) * h + iy) * w + ix]! * wt[((oc * c + ic) * k + ky) * k + kx]!;
              }
          out[((b * o + oc) * oh + y) * ow + xx] = acc;
        }
  return { out, shape: [n, o, oh, ow] };
}

const nchwToNhwc = (t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]);

function load(layer: Conv2d | GroupNorm, params: Record<string, tf.Tensor>): void {
  for (const e of layer.weightEntries()) {
    const v = params[e.key]!;
    const stored = e.owner.transformLoadedParam(e.localKey, v);
    e.variable.write(stored);
  }
}

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  expect(worst).toBeLessThan(tol);
}

describe.each(['cpu', 'wasm'])('convolution building blocks on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
  });

  it.each([
    ['3x3 same', 3, 1, 'same', [1, 1]],
    ['3x3 padding 1', 3, 1, 1, [1, 1]],
    ['4x4 stride 4 valid (patch embedding)', 4, 4, 'valid', [0, 0]],
    ['1x1', 1, 1, 'valid', [0, 0]],
  ] as const)('Conv2d %s equals PyTorch with the checkpoint layout', (_name, k, stride, padding, pad) => {
    const [n, c, h, w, o] = [2, 3, 8, 8, 5];
    const x = values(n * c * h * w, 1);
    const wt = values(o * c * k * k, 2);
    const bias = values(o, 3);
    const conv = new Conv2d({ inChannels: c, outChannels: o, kernelSize: k, stride, padding });
    expect(conv.weightEntries().map((e) => [e.key, e.checkpointShape])).toEqual([['weight', [o, c, k, k]], ['bias', [o]]]);
    load(conv, { weight: tf.tensor4d(wt, [o, c, k, k]), bias: tf.tensor1d(bias) });
    const ref = convRef(x, [n, c, h, w], wt, o, k, stride, pad as [number, number], bias);
    const got = tf.tidy(() => nchwToNhwc(tf.tensor4d(Float32Array.from(ref.out), ref.shape as [number, number, number, number])).dataSync());
    const y = tf.tidy(() => conv.forward(nchwToNhwc(tf.tensor4d(x, [n, c, h, w]))).dataSync());
    expectAllClose(y, got);
    // the checkpoint layout comes back unchanged
    const back = tf.tidy(() => conv.toCheckpointLayout('weight', conv.namedWeights().get('weight')!.read()).dataSync());
    expect(Array.from(back)).toEqual(Array.from(wt));
    conv.disposeAll();
  });

  it('PatchEmbed flattens the grid row-major', () => {
    const pe = withParamInit({ seed: 5 }, () => new PatchEmbed({ inChannels: 3, width: 4, patchSize: 2 }));
    const x = tf.tensor4d(values(1 * 6 * 4 * 3, 7), [1, 6, 4, 3]);
    const grid = pe.grid(x);
    const seq = pe.forward(x);
    expect(grid.shape).toEqual([1, 3, 2, 4]);
    expect(seq.shape).toEqual([1, 6, 4]);
    // token 3 is grid row 1, column 1
    const g = grid.arraySync() as number[][][][];
    const s = seq.arraySync() as number[][][];
    expect(s[0]![3]).toEqual(g[0]![1]![1]);
    tf.dispose([x, grid, seq]);
    pe.disposeAll();
  });

  it('GroupNorm normalises contiguous channel groups with eps 1e-6', () => {
    const [n, h, w, c, groups] = [2, 3, 3, 8, 4];
    const xs = values(n * h * w * c, 11);
    const gamma = values(c, 12);
    const beta = values(c, 13);
    const gn = new GroupNorm({ numChannels: c, numGroups: groups });
    load(gn, { weight: tf.tensor1d(gamma), bias: tf.tensor1d(beta) });
    const y = tf.tidy(() => gn.forward(tf.tensor4d(xs, [n, h, w, c])).dataSync());
    const cg = c / groups;
    const want = new Float64Array(xs.length);
    for (let b = 0; b < n; b++)
      for (let g = 0; g < groups; g++) {
        const idx: number[] = [];
        for (let p = 0; p < h * w; p++) for (let j = 0; j < cg; j++) idx.push((b * h * w + p) * c + g * cg + j);
        const mean = idx.reduce((a, i) => a + xs[i]!, 0) / idx.length;
        const v = idx.reduce((a, i) => a + (xs[i]! - mean) ** 2, 0) / idx.length;
        for (const i of idx) want[i] = ((xs[i]! - mean) / Math.sqrt(v + 1e-6)) * gamma[i % c]! + beta[i % c]!;
      }
    expectAllClose(y, want);
    expect(() => new GroupNorm({ numChannels: 48 })).toThrow(/48 channels cannot be split into 32 groups/);
    gn.disposeAll();
  });

  it('ResnetBlock adds nin_shortcut of its own output when the widths differ, else its input', () => {
    const x = tf.tensor4d(values(1 * 4 * 4 * 32, 21), [1, 4, 4, 32]);
    for (const out of [64, 32]) {
      const block = withParamInit({ seed: out }, () => new ResnetBlock({ inChannels: 32, outChannels: out }));
      expect(block.weightEntries().map((e) => e.key)).toEqual(
        ['norm1.weight', 'norm1.bias', 'conv1.weight', 'norm2.weight', 'norm2.bias', 'conv2.weight', ...(out !== 32 ? ['nin_shortcut.weight'] : [])],
      );
      const [y, want] = tf.tidy(() => {
        let h = block.conv1.forward(block.norm1.forwardSilu(x));
        h = block.conv2.forward(block.norm2.forwardSilu(h));
        return [block.forward(x).dataSync(), tf.add(h, out !== 32 ? block.ninShortcut!.forward(h) : x).dataSync()];
      });
      expect(Array.from(y!)).toEqual(Array.from(want!));
      block.disposeAll();
    }
    x.dispose();
  });

  it('upsampleNearest copies pixel (y/2, x/2) and depthToSpace orders channels (p1, p2, c)', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    expect(upsampleNearest(x).arraySync()).toEqual([
      [[[1], [1], [2], [2], [3], [3]], [[1], [1], [2], [2], [3], [3]], [[4], [4], [5], [5], [6], [6]], [[4], [4], [5], [5], [6], [6]]],
    ]);
    // one cell, p = 2, C = 3: channel (p1·2 + p2)·3 + c
    const d = tf.tensor4d(Array.from({ length: 12 }, (_, i) => i), [1, 1, 1, 12]);
    const img = depthToSpace(d, 2).arraySync() as number[][][][];
    for (let p1 = 0; p1 < 2; p1++) for (let p2 = 0; p2 < 2; p2++) for (let c = 0; c < 3; c++) expect(img[0]![p1]![p2]![c]).toBe((p1 * 2 + p2) * 3 + c);
    tf.dispose([x, d]);
  });
});
