import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers (loaded by gradient-kernels) registers the standard gradients.
import './gradient-kernels.js';
import { rotationTrick, stopGradient, straightThrough } from './stop-gradient.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** d(sum(w ⊙ f(z, q)))/dz and /dq. */
function grads(f: (z: tf.Tensor2D, q: tf.Tensor2D) => tf.Tensor, z: tf.Tensor2D, q: tf.Tensor2D, w: tf.Tensor2D): [number[], number[]] {
  const [gz, gq] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D), w)))([z, q]);
  const out: [number[], number[]] = [Array.from(gz!.dataSync()), Array.from(gq!.dataSync())];
  tf.dispose([gz, gq]);
  return out;
}

const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));

describe('gradient estimators', () => {
  const z = tf.tensor2d([[3, 0, 4], [1, 2, 2]]);
  const q = tf.tensor2d([[0, 2, 0], [2, -1, 2]]);
  const w = tf.tensor2d([[0.5, -1, 2], [1, 1, -3]]);
  afterAll(() => tf.dispose([z, q, w]));

  it('stopGradient passes the value and no gradient', () => {
    const [gz, gq] = grads((a, b) => tf.add(tf.mul(stopGradient(a), 2), b), z, q, w);
    expect(Array.from(stopGradient(z).dataSync())).toEqual(Array.from(z.dataSync()));
    expect(gz).toEqual([0, 0, 0, 0, 0, 0]);
    expect(gq).toEqual(Array.from(w.dataSync()));
  });

  it('straightThrough has the value of q and copies the gradient to z, none to q', () => {
    expect(Array.from(straightThrough(z, q).dataSync())).toEqual(Array.from(q.dataSync()));
    const [gz, gq] = grads(straightThrough, z, q, w);
    expect(gz).toEqual(Array.from(w.dataSync()));
    expect(gq).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rotationTrick has the value of q; z gets (‖q‖/‖z‖)·Rᵀ·dy with R the rotation taking z to q', () => {
    expect(Array.from(rotationTrick(z, q).dataSync())).toEqual(Array.from(q.dataSync()));
    const [gz, gq] = grads(rotationTrick, z, q, w);
    expect(gq).toEqual([0, 0, 0, 0, 0, 0]);
    const zs = z.arraySync();
    const qs = q.arraySync();
    const ws = w.arraySync();
    for (let i = 0; i < 2; i++) {
      // R built as a matrix: I − 2rrᵀ + 2 q̂ ẑᵀ, r = (ẑ + q̂)/‖ẑ + q̂‖.
      const u = unit(zs[i]!);
      const v = unit(qs[i]!);
      const r = unit(u.map((x, k) => x + v[k]!));
      const R = u.map((_, a) => u.map((__, b) => (a === b ? 1 : 0) - 2 * r[a]! * r[b]! + 2 * v[a]! * u[b]!));
      // R is a rotation taking ẑ to q̂.
      R.forEach((row, a) => expect(row.reduce((s, x, b) => s + x * u[b]!, 0)).toBeCloseTo(v[a]!, 6));
      const scale = Math.hypot(...qs[i]!) / Math.hypot(...zs[i]!);
      for (let b = 0; b < 3; b++) {
        const expected = scale * R.reduce((s, row, a) => s + row[b]! * ws[i]![a]!, 0);
        expect(gz[i * 3 + b]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('rotationTrick turns a gradient along q into one along z', () => {
    const dir = tf.tensor2d([unit([0, 2, 0]), unit([2, -1, 2])]);
    const [gz] = grads(rotationTrick, z, q, dir);
    const zs = z.arraySync();
    const qs = q.arraySync();
    for (let i = 0; i < 2; i++) {
      const scale = Math.hypot(...qs[i]!) / Math.hypot(...zs[i]!);
      unit(zs[i]!).forEach((x, k) => expect(gz[i * 3 + k]).toBeCloseTo(scale * x, 5));
    }
    dir.dispose();
  });
});
