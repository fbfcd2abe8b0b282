import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WeightsError } from '../errors/index.js';
import type { StateDict, StateDictTensor } from '../state-dict/types.js';
import { loadStateDict } from '../weights/load-state-dict.js';
import { gelu } from './gelu.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { TitokLayer, registerLayer } from './titok-layer.js';

class Block extends TitokLayer {
  static className = 'TestBlock';
  readonly ln = this.child('ln_1', new LayerNorm({ dim: 4 }));
  readonly fc = this.child('fc', new Linear({ inFeatures: 4, outFeatures: 3 }));
  forward(x: tf.Tensor): tf.Tensor {
    return this.fc.forward(this.ln.forward(x));
  }
}
registerLayer(Block);

function f32(name: string, shape: number[], values: number[]): StateDictTensor {
  const bytes = new Uint8Array(new Float32Array(values).buffer);
  return { name, dtype: 'F32', shape, byteLength: bytes.byteLength, read: async () => bytes };
}

function sd(tensors: StateDictTensor[]): StateDict {
  return { format: 'safetensors', source: 'test.safetensors', tensors: new Map(tensors.map((t) => [t.name, t])), metadata: {}, close: async () => {} };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TitokLayer', () => {
  it('names weights after the state-dict keys', () => {
    const b = new Block();
    expect([...b.namedWeights('blocks.0.').keys()]).toEqual([
      'blocks.0.ln_1.weight',
      'blocks.0.ln_1.bias',
      'blocks.0.fc.weight',
      'blocks.0.fc.bias',
    ]);
    expect(b.namedWeights().get('fc.weight')!.shape).toEqual([3, 4]);
    expect(b.numParameters()).toBe(4 + 4 + 12 + 3);
    b.disposeAll();
  });

  it('loads strictly and computes LayerNorm and Linear like PyTorch', async () => {
    const b = new Block();
    const w = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    await loadStateDict(
      b,
      sd([
        f32('ln_1.weight', [4], [1, 1, 1, 1]),
        f32('ln_1.bias', [4], [0, 0, 0, 0]),
        f32('fc.weight', [3, 4], w),
        f32('fc.bias', [3], [0.5, -0.5, 0]),
      ]),
    );
    const y = tf.tidy(() => b.forward(tf.tensor2d([[1, 2, 3, 4]])));
    // LayerNorm of [1,2,3,4]: mean 2.5, var 1.25
    const n = [1, 2, 3, 4].map((v) => (v - 2.5) / Math.sqrt(1.25 + 1e-5));
    const expected = [0, 1, 2].map((o) => n.reduce((s, v, i) => s + v * w[o * 4 + i]!, 0) + [0.5, -0.5, 0][o]!);
    const got = Array.from(await y.data());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    y.dispose();
    b.disposeAll();
  });

  it('refuses missing, unexpected and mis-shaped keys, listing them', async () => {
    const b = new Block();
    const err = await loadStateDict(
      b,
      sd([
        f32('ln_1.weight', [4], [1, 1, 1, 1]),
        f32('fc.weight', [4, 3], new Array(12).fill(0)),
        f32('fc.bias', [3], [0, 0, 0]),
        f32('extra', [1], [0]),
      ]),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect(err.missing).toEqual(['ln_1.bias']);
    expect(err.unexpected).toEqual(['extra']);
    expect(err.message).toMatch(/fc.weight is \[4, 3\], the model needs \[3, 4\]/);
    expect(err.message).toMatch(/^test.safetensors: /);
    b.disposeAll();
  });

  it('gelu is the exact erf form', async () => {
    const x = tf.tensor1d([-3, -1, 0, 0.5, 2]);
    const y = gelu(x);
    const erf = (v: number) => {
      // Abramowitz-Stegun is not exact enough; use a high-precision series
      let sum = 0;
      let term = v;
      for (let n = 0; n < 60; n++) {
        sum += term / (2 * n + 1);
        term *= (-v * v) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const got = Array.from(await y.data());
    [-3, -1, 0, 0.5, 2].forEach((v, i) => expect(got[i]).toBeCloseTo(0.5 * v * (1 + erf(v / Math.SQRT2)), 6));
    tf.dispose([x, y]);
  });
});
