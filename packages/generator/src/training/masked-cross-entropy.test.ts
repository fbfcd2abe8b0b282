import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { TrainingRng, selectBackend } from '@titok/core';
import type { BackendName } from '@titok/core';
import { maskedCrossEntropy } from './masked-cross-entropy.js';

/** The loss written the plain way (log-softmax, one-hot), differentiated by tfjs. */
function reference(x: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, count: number, eps: number) {
  const k = x.shape[1];
  const logp = tf.logSoftmax(x);
  const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(targets, k), logp), -1));
  const smooth = tf.neg(tf.mean(logp, -1));
  const ce = tf.add(tf.mul(nll, 1 - eps), tf.mul(smooth, eps));
  return { loss: tf.div(tf.sum(tf.mul(ce, weights)), count) as tf.Scalar, nll: tf.div(tf.sum(tf.mul(nll, weights)), count) as tf.Scalar };
}

function inputs(n: number, k: number, seed: number) {
  const rng = new TrainingRng(seed);
  const x = tf.tensor2d(Float32Array.from({ length: n * k }, () => (rng.uniform() - 0.5) * 12), [n, k]);
  const targets = tf.tensor1d(Int32Array.from({ length: n }, () => rng.int(k)), 'int32');
  const w = Float32Array.from({ length: n }, () => (rng.uniform() < 0.6 ? 1 : 0));
  return { x, targets, weights: tf.tensor1d(w), count: Math.max(1, w.reduce((a, b) => a + b, 0)) };
}

const maxAbsDiff = async (a: tf.Tensor, b: tf.Tensor) => {
  const [u, v] = [Array.from(await a.data()), Array.from(await b.data())];
  return u.reduce((m, x, i) => Math.max(m, Math.abs(x - v[i]!)), 0);
};

describe.each(['cpu', 'wasm'] as BackendName[])('maskedCrossEntropy on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend({ backend, env: {} });
  });

  it.each([0, 0.1])('matches log-softmax cross-entropy and its gradient (label smoothing %p)', async (eps) => {
    const { x, targets, weights, count } = inputs(37, 300, 7);
    const ours = tf.valueAndGrad((l: tf.Tensor) => maskedCrossEntropy(l as tf.Tensor2D, targets, weights, count, eps).loss)(x);
    const ref = tf.valueAndGrad((l: tf.Tensor) => reference(l as tf.Tensor2D, targets, weights, count, eps).loss)(x);
    expect(Math.abs(ours.value.dataSync()[0]! - ref.value.dataSync()[0]!)).toBeLessThan(1e-5 * Math.abs(ref.value.dataSync()[0]!));
    expect(await maxAbsDiff(ours.grad, ref.grad)).toBeLessThan(1e-7);
    const [a, b] = tf.tidy(() => [maskedCrossEntropy(x, targets, weights, count, eps).nll, reference(x, targets, weights, count, eps).nll]);
    expect(Math.abs(a!.dataSync()[0]! - b!.dataSync()[0]!)).toBeLessThan(1e-5 * b!.dataSync()[0]!);
    // unweighted rows get no gradient
    const g = await ours.grad.array();
    const w = await weights.data();
    for (let i = 0; i < w.length; i++) if (w[i] === 0) expect(Math.max(...(g as number[][])[i]!.map(Math.abs))).toBe(0);
    tf.dispose([x, targets, weights, ours.value, ours.grad, ref.value, ref.grad, a!, b!]);
  });

  it('leaves no tensor behind inside a tidy', () => {
    const { x, targets, weights, count } = inputs(8, 50, 3);
    const scale = tf.variable(tf.scalar(1), true);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(tf.mul(x, scale) as tf.Tensor2D, targets, weights, count, 0.1).loss, [scale]);
        expect(Math.abs(grads[scale.name]!.dataSync()[0]!)).toBeGreaterThan(0);
        tf.dispose([value, ...Object.values(grads)]);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, targets, weights, scale]);
  });

  it("works when the targets and weights are made inside the taped function (the trainer's case)", async () => {
    const { x, targets, weights, count } = inputs(16, 40, 5);
    const [t, w] = [await targets.data(), await weights.data()];
    const f = (l: tf.Tensor) => maskedCrossEntropy(l as tf.Tensor2D, tf.tensor1d(t, 'int32'), tf.tensor1d(w), count, 0.1).loss;
    const inside = tf.valueAndGrad(f)(x);
    const outside = tf.valueAndGrad((l: tf.Tensor) => maskedCrossEntropy(l as tf.Tensor2D, targets, weights, count, 0.1).loss)(x);
    expect(await maxAbsDiff(inside.grad, outside.grad)).toBe(0);
    tf.dispose([x, targets, weights, inside.value, inside.grad, outside.value, outside.grad]);
  });
});
