import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdamW, defaultDecays } from './adamw.js';
import { TrainingRng } from './rng.js';
import { lrScaleAt } from './schedule.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TrainingRng', () => {
  it('gives the same stream for a seed, another for another seed, and resumes from its state', () => {
    const a = new TrainingRng(42);
    const first = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => new TrainingRng(42)).map((r) => r.nextUint32())).toEqual(new Array(8).fill(first[0]));
    const b = new TrainingRng(42);
    b.nextUint32();
    b.nextUint32();
    const resumed = TrainingRng.fromState(b.state());
    expect(Array.from({ length: 6 }, () => resumed.nextUint32())).toEqual(first.slice(2));
    expect(new TrainingRng(43).nextUint32()).not.toBe(first[0]);
    expect(new Set(first).size).toBe(8);
  });

  it('draws uniforms in (0, 1) with mean 1/2, and permutations', () => {
    const r = new TrainingRng(7);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.uniform();
      expect(u > 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
    const p = r.permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p.subarray(0, 10)]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('derives independent streams without drawing', () => {
    const r = new TrainingRng(5);
    const d0 = r.derive(0).nextUint32();
    expect(r.state().counter).toBe(0);
    expect(r.derive(0).nextUint32()).toBe(d0);
    expect(r.derive(1).nextUint32()).not.toBe(d0);
    expect(new TrainingRng(6).derive(0).nextUint32()).not.toBe(d0);
  });

  it('refuses bad seeds', () => {
    expect(() => new TrainingRng(-1)).toThrow(/non-negative integer/);
    expect(() => new TrainingRng(1.5)).toThrow(/non-negative integer/);
  });
});

describe('AdamW', () => {
  it('matches the update rule (bias-corrected Adam, decoupled decay)', () => {
    const w = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]));
    const b = tf.variable(tf.tensor1d([0.1, -0.1]));
    const params = new Map<string, tf.Variable>([['fc.weight', w], ['fc.bias', b]]);
    const opt = new AdamW({ learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.5 });
    const gw = [0.2, -0.4, 0.1, 0];
    const gb = [1, -3];
    const ref = { w: [1, -2, 3, 0.5], b: [0.1, -0.1], mw: [0, 0, 0, 0], vw: [0, 0, 0, 0], mb: [0, 0], vb: [0, 0] };
    for (let step = 1; step <= 3; step++) {
      tf.tidy(() => opt.apply(params, new Map<string, tf.Tensor>([['fc.weight', tf.tensor2d(gw, [2, 2])], ['fc.bias', tf.tensor1d(gb)]])));
      const upd = (p: number[], m: number[], v: number[], g: number[], decay: boolean) =>
        p.forEach((_, i) => {
          m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
          v[i] = 0.99 * v[i]! + 0.01 * g[i]! ** 2;
          const u = m[i]! / (1 - 0.9 ** step) / (Math.sqrt(v[i]! / (1 - 0.99 ** step)) + 1e-8);
          p[i] = (decay ? p[i]! * (1 - 0.1 * 0.5) : p[i]!) - 0.1 * u;
        });
      upd(ref.w, ref.mw, ref.vw, gw, true);
      upd(ref.b, ref.mb, ref.vb, gb, false);
      Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(ref.w[i]!, 5));
      Array.from(b.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(ref.b[i]!, 5));
    }
    expect(opt.step).toBe(3);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('saves and restores its state exactly: the next updates are identical', async () => {
    const run = async (split: boolean) => {
      const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2, 3], [4, 5, 6]])));
      const params = new Map([['w', w]]);
      let opt = new AdamW({ learningRate: 0.01 });
      const grad = (k: number) => new Map([['w', tf.tensor2d([[k, -k, 0.5], [0.1 * k, 2, -1]])]]);
      for (let k = 1; k <= 4; k++) {
        if (split && k === 3) {
          const state = await opt.state();
          opt.dispose();
          opt = new AdamW({ learningRate: 0.01 });
          opt.setState(state, params);
        }
        const g = grad(k);
        opt.apply(params, g);
        tf.dispose([...g.values()]);
      }
      const out = Array.from(w.dataSync());
      opt.dispose();
      w.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    expect(await run(true)).toEqual(await run(false));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('decays matrices, not biases, norms, embeddings or learned tokens', () => {
    expect(defaultDecays('encoder.transformer.0.attn.in_proj_weight', [96, 32])).toBe(true);
    expect(defaultDecays('decoder.ffn.0.weight', [1, 1, 32, 48])).toBe(true);
    expect(defaultDecays('encoder.ln_pre.weight', [32])).toBe(false);
    expect(defaultDecays('encoder.positional_embedding', [17, 32])).toBe(false);
    expect(defaultDecays('latent_tokens', [32, 32])).toBe(false);
    expect(defaultDecays('quantize.embedding.weight', [256, 16])).toBe(false);
    expect(defaultDecays('model.embeddings.word_embeddings.weight', [300, 64])).toBe(false);
  });
});

describe('lrScaleAt', () => {
  it('warms up linearly, then decays by a cosine to the floor', () => {
    const s = { warmupSteps: 10, totalSteps: 110, minScale: 0.1 };
    expect(lrScaleAt(s, 0)).toBeCloseTo(0.1);
    expect(lrScaleAt(s, 9)).toBeCloseTo(1);
    expect(lrScaleAt(s, 10)).toBeCloseTo(1);
    expect(lrScaleAt(s, 60)).toBeCloseTo(0.55);
    expect(lrScaleAt(s, 110)).toBeCloseTo(0.1);
    expect(lrScaleAt(s, 500)).toBeCloseTo(0.1);
  });
});
