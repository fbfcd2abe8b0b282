import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradientKernels, l2Normalize, parseModelConfig, withParamInit } from '@titok/core';
import { TitokModel } from '../titok/titok-model.js';
import { noiseSubstitution, softChoice, tokenizerLoss } from './tokenizer-loss.js';
import type { TokenizerLossOptions } from './tokenizer-loss.js';
import { TINY_TOKENIZER_CONFIG as CONFIG } from './__tests__/tiny-tokenizer.js';

const LOSS: TokenizerLossOptions = { commitmentCost: 0.25, codebookWeight: 1, l1Weight: 0, estimator: 'straight-through', continuous: false };

let model: TitokModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  // The direct-RGB head's DepthToSpace has no gradient in tfjs 4.22.
  ensureGradientKernels();
  model = withParamInit({ seed: 5 }, () => new TitokModel({ config: parseModelConfig(CONFIG).tokenizer! }));
});

afterAll(() => {
  for (const w of model.weights) w.dispose();
});

/** The loss and every parameter's gradient for one batch, on the host. */
function lossAndGrads(images: tf.Tensor4D, options: TokenizerLossOptions): { loss: number; grads: Map<string, Float32Array> } {
  const named = [...model.namedWeights()].filter(([, w]) => w.trainable);
  const { value, grads } = tf.variableGrads(() => {
    const out = tokenizerLoss(model, images, options);
    tf.dispose([out.indices, out.vectors]);
    return out.total;
  }, named.map(([, w]) => w.read() as tf.Variable));
  const byName = new Map<string, Float32Array>();
  for (const [key, w] of named) {
    const g = grads[(w.read() as tf.Variable).name];
    if (g) byName.set(key, g.dataSync() as Float32Array);
  }
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: byName };
}

describe("tokenizerLoss's soft estimator", () => {
  it('leaves the loss, the decoder and the codebook as straight-through has them, and adds an encoder gradient', () => {
    const images = tf.tidy(() => tf.randomUniform([4, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D);
    const count = tf.memory().numTensors;
    const st = lossAndGrads(images, LOSS);
    const soft = lossAndGrads(images, { ...LOSS, estimator: 'soft', softCandidates: 4, softTemperature: 0.05 });
    expect(tf.memory().numTensors).toBe(count);
    images.dispose();
    expect(soft.loss).toBe(st.loss);
    expect([...soft.grads.keys()]).toEqual([...st.grads.keys()]);
    let encoderDiffers = false;
    for (const [key, g] of st.grads) {
      const same = Buffer.from(soft.grads.get(key)!.buffer).equals(Buffer.from(g.buffer));
      // The decoder sees the same input, and the soft choice treats the codebook as constant.
      if (key.startsWith('decoder.') || key.includes('quantize')) expect([key, same]).toEqual([key, true]);
      if (key.startsWith('encoder.') && !same) encoderDiffers = true;
    }
    expect(encoderDiffers).toBe(true);
  });

  it("softChoice is zero, and its gradient is that of the soft average of each vector's nearest codes (finite differences)", () => {
    const quantizer = model.quantizer!;
    const [m, c, k, tau] = [3, 4, 4, 0.05];
    const z0 = tf.tidy(() => l2Normalize(tf.randomNormal([m, c], 0, 1, 'float32', 7)) as tf.Tensor2D);
    const g = tf.randomNormal([m, c], 0, 1, 'float32', 8) as tf.Tensor2D;
    const codebook = quantizer.codebook();
    const value = tf.tidy(() => softChoice(quantizer, z0, z0, codebook, k, tau).dataSync());
    expect(Array.from(value)).toEqual(new Array(m * c).fill(0));
    // Autodiff of g · softChoice(z): the candidates are fixed at z0's, as in the loss.
    const auto = tf.tidy(() => tf.grad((z) => tf.sum(tf.mul(g, softChoice(quantizer, z as tf.Tensor2D, z0, codebook, k, tau))))(z0).dataSync());
    // The same by hand: F(z) = Σ_i g_i · Σ_j w_ij e_ij, w_i = softmax(−‖z_i − e_ij‖² / τ) over z0_i's k nearest codes.
    const rows = codebook.arraySync();
    const near = tf.tidy(() => quantizer.nearestCandidates(z0, k).arraySync());
    const [zv, gv] = [z0.arraySync(), g.arraySync()];
    const F = (z: number[][]) => {
      let f = 0;
      for (let i = 0; i < m; i++) {
        const d = near[i]!.map((j) => rows[j]!.reduce((s, e, t) => s + (z[i]![t]! - e) ** 2, 0));
        const w = d.map((x) => Math.exp(-x / tau));
        const sum = w.reduce((a, b) => a + b, 0);
        for (let t = 0; t < c; t++) f += gv[i]![t]! * near[i]!.reduce((s, j, r) => s + (w[r]! / sum) * rows[j]![t]!, 0);
      }
      return f;
    };
    const h = 1e-4;
    for (let i = 0; i < m; i++) {
      for (let t = 0; t < c; t++) {
        const plus = zv.map((r) => [...r]);
        const minus = zv.map((r) => [...r]);
        plus[i]![t]! += h;
        minus[i]![t]! -= h;
        expect(auto[i * c + t]!).toBeCloseTo((F(plus) - F(minus)) / (2 * h), 2);
      }
    }
    tf.dispose([z0, g, codebook]);
  });
});

describe("tokenizerLoss's noise estimator", () => {
  it('moves each vector by its quantisation error in the direction of its noise, and differentiates both ends', () => {
    const [m, c] = [5, 4];
    const z = tf.randomNormal([m, c], 0, 1, 'float32', 11) as tf.Tensor2D;
    const e = tf.randomNormal([m, c], 0, 1, 'float32', 12) as tf.Tensor2D;
    const u = tf.randomNormal([m, c], 0, 3, 'float32', 13) as tf.Tensor2D;
    const [zv, ev, uv] = [z.arraySync(), e.arraySync(), u.arraySync()];
    const out = tf.tidy(() => noiseSubstitution(z, e, u).arraySync());
    for (let i = 0; i < m; i++) {
      const norm = (v: number[]) => Math.hypot(...v);
      const d = norm(zv[i]!.map((x, t) => x - ev[i]![t]!));
      for (let t = 0; t < c; t++) expect(out[i]![t]!).toBeCloseTo(zv[i]![t]! + (d * uv[i]![t]!) / norm(uv[i]!), 5);
    }
    // d/de of Σ noiseSubstitution = −(z − e)/‖z − e‖ · Σ_t û_t, row by row.
    const ge = tf.tidy(() => tf.grad((ee) => tf.sum(noiseSubstitution(z, ee as tf.Tensor2D, u)))(e).arraySync() as number[][]);
    for (let i = 0; i < m; i++) {
      const diff = zv[i]!.map((x, t) => x - ev[i]![t]!);
      const d = Math.hypot(...diff);
      const s = uv[i]!.reduce((a, b) => a + b, 0) / Math.hypot(...uv[i]!);
      for (let t = 0; t < c; t++) expect(ge[i]![t]!).toBeCloseTo((-diff[t]! / d) * s, 4);
    }
    expect(() => noiseSubstitution(z, e, undefined)).toThrow(/'noise' estimator needs noise shaped like the vectors \[5, 4\], got none/);
    tf.dispose([z, e, u]);
  });

  it('sends the reconstruction gradient to the codebook too, unlike straight-through', () => {
    const images = tf.tidy(() => tf.randomUniform([4, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D);
    const tokens = 4 * model.config.numLatentTokens;
    const noise = tf.randomNormal([tokens, model.quantizer!.tokenSize], 0, 1, 'float32', 9) as tf.Tensor2D;
    const st = lossAndGrads(images, LOSS);
    const count = tf.memory().numTensors;
    const nsvq = lossAndGrads(images, { ...LOSS, estimator: 'noise', noise });
    expect(tf.memory().numTensors).toBe(count);
    expect(nsvq.loss).not.toBe(st.loss);
    const key = [...st.grads.keys()].find((k) => k.includes('quantize'))!;
    const [a, b] = [st.grads.get(key)!, nsvq.grads.get(key)!];
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    tf.dispose([images, noise]);
  });
});
