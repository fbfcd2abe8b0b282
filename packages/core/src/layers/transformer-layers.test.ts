import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { MultiheadAttention } from './multihead-attention.js';
import { ResidualAttentionBlock } from './residual-attention-block.js';
import { Tracer } from './trace.js';
import { withParamInit } from './titok-layer.js';

/** PyTorch MultiheadAttention (self-attention, no mask) in plain JS, float64. */
function mhaRef(x: number[][], win: number[][], bin: number[], wout: number[][], bout: number[], heads: number): number[][] {
  const d = x[0]!.length;
  const dh = d / heads;
  const proj = (rows: number[][], w: number[][], b: number[], from: number) =>
    rows.map((r) => Array.from({ length: d }, (_, o) => b[from + o]! + r.reduce((a, v, i) => a + v * w[from + o]![i]!, 0)));
  const q = proj(x, win, bin, 0);
  const k = proj(x, win, bin, d);
  const v = proj(x, win, bin, 2 * d);
  const ctx = x.map(() => new Array<number>(d).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < x.length; t++) {
      const scores = x.map((_, s) => {
        let acc = 0;
        for (let j = h * dh; j < (h + 1) * dh; j++) acc += (q[t]![j]! / Math.sqrt(dh)) * k[s]![j]!;
        return acc;
      });
      const m = Math.max(...scores);
      const e = scores.map((sc) => Math.exp(sc - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = h * dh; j < (h + 1) * dh; j++) ctx[t]![j] = e.reduce((a, p, s) => a + (p / z) * v[s]![j]!, 0);
    }
  }
  return ctx.map((r) => Array.from({ length: d }, (_, o) => bout[o]! + r.reduce((a, val, i) => a + val * wout[o]![i]!, 0)));
}

describe.each(['cpu', 'wasm'])('transformer layers on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
  });

  it('MultiheadAttention matches PyTorch: stacked q/k/v rows, contiguous heads, scaled queries', () => {
    const mha = withParamInit({ seed: 1 }, () => new MultiheadAttention({ width: 8, numHeads: 2 }));
    const w = mha.namedWeights();
    expect([...w.keys()]).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    w.get('in_proj_bias')!.write(tf.randomNormal([24], 0, 1, 'float32', 2));
    w.get('out_proj.bias')!.write(tf.randomNormal([8], 0, 1, 'float32', 3));
    const x = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 4);
    const got = mha.forward(x).arraySync() as number[][][];
    const arr = (k: string) => w.get(k)!.read().arraySync();
    const xs = x.arraySync() as number[][][];
    xs.forEach((sample, n) => {
      const want = mhaRef(sample, arr('in_proj_weight') as number[][], arr('in_proj_bias') as number[], arr('out_proj.weight') as number[][], arr('out_proj.bias') as number[], 2);
      want.forEach((row, t) => row.forEach((v, j) => expect(got[n]![t]![j]).toBeCloseTo(v, 4)));
    });
    x.dispose();
    mha.disposeAll();
  });

  it('ResidualAttentionBlock: pre-norm residual sums, state-dict names and traced branches', () => {
    const block = withParamInit({ seed: 9 }, () => new ResidualAttentionBlock({ width: 8, numHeads: 2 }));
    expect([...block.namedWeights().keys()]).toEqual([
      'ln_1.weight', 'ln_1.bias', 'attn.in_proj_weight', 'attn.in_proj_bias', 'attn.out_proj.weight', 'attn.out_proj.bias',
      'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias',
    ]);
    expect(block.namedWeights().get('mlp.c_fc.weight')!.shape).toEqual([32, 8]);
    const x = tf.randomNormal([1, 3, 8], 0, 1, 'float32', 5);
    const seen = new Map<string, Float32Array>();
    const y = block.run(x, new Tracer((n, t) => seen.set(n, t.dataSync() as Float32Array)).scope('transformer.0'));
    expect([...seen.keys()]).toEqual(['transformer.0.attn.out', 'transformer.0.mlp.out', 'transformer.0.out']);
    const [a, m] = [seen.get('transformer.0.attn.out')!, seen.get('transformer.0.mlp.out')!];
    const xv = x.dataSync();
    y.dataSync().forEach((v, i) => expect(v).toBeCloseTo(xv[i]! + a[i]! + m[i]!, 5));
    tf.dispose([x, y]);
    block.disposeAll();
  });

  it('withParamInit: a seed reproduces the weights, zeros draws nothing', () => {
    const first = withParamInit({ seed: 3 }, () => new MultiheadAttention({ width: 4, numHeads: 1 }));
    const second = withParamInit({ seed: 3 }, () => new MultiheadAttention({ width: 4, numHeads: 1 }));
    const zero = withParamInit({ zeros: true }, () => new MultiheadAttention({ width: 4, numHeads: 1 }));
    const w = (m: MultiheadAttention) => Array.from(m.namedWeights().get('in_proj_weight')!.read().dataSync());
    expect(w(first)).toEqual(w(second));
    expect(w(first).some((v) => v !== 0)).toBe(true);
    expect(w(zero).every((v) => v === 0)).toBe(true);
    [first, second, zero].forEach((m) => m.disposeAll());
  });
});
