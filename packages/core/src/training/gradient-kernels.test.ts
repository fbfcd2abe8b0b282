import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../backend/index.js';
import { TrainingRng } from './rng.js';
import { ensureTrainingKernels } from './gradient-kernels.js';

/** Host data of seeded normals. */
function normals(seed: number, n: number): Float32Array {
  const rng = new TrainingRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Gradients of sum(f(inputs) * probe) w.r.t. every input, as host arrays, on the active backend. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: { shape: number[]; data: Float32Array }[], probeSeed: number): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
    const g = tf.grads((...a: tf.Tensor[]) => {
      const y = f(...a);
      return tf.sum(tf.mul(y, tf.tensor(normals(probeSeed, y.size), y.shape, 'float32')));
    })(xs);
    return g.map((t) => t.dataSync() as Float32Array);
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const CASES: { name: string; f: (...xs: tf.Tensor[]) => tf.Tensor; shapes: number[][] }[] = [
  { name: 'conv2d 4x4 stride 4 (patch embedding)', f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 4, 'valid'), shapes: [[2, 8, 8, 3], [4, 4, 3, 5]] },
  { name: 'conv2d 3x3 pad 1', f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 1 as unknown as 'same'), shapes: [[2, 6, 5, 3], [3, 3, 3, 3]] },
  { name: "conv2d 3x3 'same' stride 2", f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), shapes: [[1, 7, 7, 2], [3, 3, 2, 4]] },
  { name: 'fused conv2d with bias', f: (x, w, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 1 as unknown as 'same', bias: b }), shapes: [[2, 4, 4, 3], [3, 3, 3, 3], [3]] },
  { name: 'gather rows (embeddings)', f: (t) => tf.gather(t, tf.tensor1d([3, 0, 3, 5, 1, 3], 'int32')), shapes: [[7, 4]] },
  { name: 'depthToSpace', f: (x) => tf.depthToSpace(x as tf.Tensor4D, 2, 'NHWC'), shapes: [[2, 3, 3, 12]] },
  { name: 'matMul NT', f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), shapes: [[5, 7], [6, 7]] },
  { name: 'matMul TN', f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false), shapes: [[7, 5], [7, 6]] },
  { name: 'batched matMul NT (attention scores)', f: (a, b) => tf.matMul(a, b, false, true), shapes: [[2, 3, 5, 4], [2, 3, 6, 4]] },
  { name: 'batched matMul NN (attention values)', f: (a, b) => tf.matMul(a, b), shapes: [[2, 3, 5, 6], [2, 3, 6, 4]] },
];

describe('training kernels', () => {
  const reference = new Map<string, Float32Array[]>();
  let stockMatMul: tf.KernelFunc;

  beforeAll(async () => {
    ensureTrainingKernels(); // the DepthToSpace gradient, for the cpu reference
    await tf.setBackend('cpu');
    for (const c of CASES) reference.set(c.name, gradsOf(c.f, c.shapes.map((s, i) => ({ shape: s, data: normals(10 + i, s.reduce((a, b) => a * b, 1)) })), 99));
    await selectBackend({ backend: 'wasm', env: {} });
    stockMatMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    ensureTrainingKernels(); // now the wasm kernels too
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: wasm gradients equal the cpu backend', (_name, c) => {
    const before = tf.memory().numTensors;
    const got = gradsOf(c.f, c.shapes.map((s, i) => ({ shape: s, data: normals(10 + i, s.reduce((a, b) => a * b, 1)) })), 99);
    const want = reference.get(c.name)!;
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => {
      expect(g.some((v) => v !== 0)).toBe(true);
      expect(maxDiff(g, want[i]!)).toBeLessThan(1e-4);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the depthToSpace gradient is the inverse rearrangement', () => {
    tf.tidy(() => {
      const probe = tf.tensor(normals(5, 2 * 6 * 6 * 3), [2, 6, 6, 3], 'float32');
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.depthToSpace(x as tf.Tensor4D, 2, 'NHWC'), probe)))(tf.zeros([2, 3, 3, 12]));
      expect(maxDiff(tf.depthToSpace(g as tf.Tensor4D, 2, 'NHWC').dataSync() as Float32Array, probe.dataSync() as Float32Array)).toBe(0);
    });
  });

  it('replaces the wasm matrix product once (idempotent)', () => {
    const k = tf.getKernel('BatchMatMul', 'wasm');
    expect(k!.kernelFunc).not.toBe(stockMatMul);
    ensureTrainingKernels();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(k);
  });
});
