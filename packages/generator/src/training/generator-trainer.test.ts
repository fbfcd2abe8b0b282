import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { InputError, TrainingRng, selectBackend } from '@titok/core';
import type { BackendName } from '@titok/core';
import { decodeTrainingCheckpoint, encodeTrainingCheckpoint } from '@titok/io';
import { GeneratorTrainer } from './generator-trainer.js';
import type { GeneratorTrainingOptions, TokenTrainingData } from './generator-trainer.js';
import { sliceMaskedBatch } from './generator-loss.js';
import { arccosMaskCount, maskPositions } from './masking.js';

const K = 12;
const L = 6;
const CONFIG = {
  model: {
    generator: {
      model_type: 'ViT', codebook_size: K, image_seq_len: L, hidden_size: 32, num_hidden_layers: 1,
      num_attention_heads: 2, intermediate_size: 64, condition_num_classes: 3, class_names: ['zeros', 'ramp', 'odd'],
    },
  },
};

/** Three classes of token sequences with structure a generator can learn. */
function tokenData(count: number): TokenTrainingData {
  const ids = new Int32Array(count * L);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const y = i % 3;
    labels[i] = y;
    for (let j = 0; j < L; j++) ids[i * L + j] = y === 0 ? 0 : y === 1 ? (j + i) % K : 2 * j + 1;
  }
  return { count, seqLen: L, ids, labels };
}

const OPTIONS: GeneratorTrainingOptions = { seed: 5, steps: 6, batchSize: 6, learningRate: 3e-3, warmupSteps: 1 };

async function weightsOf(t: GeneratorTrainer): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of t.network.namedWeights()) out.set(k, (await v.read().data()) as Float32Array);
  return out;
}

function same(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  return [...a].every(([k, v]) => Buffer.from(b.get(k)!.buffer).equals(Buffer.from(v.buffer)));
}

describe('arccos masking', () => {
  it('masks round(L · arccos(r) / (π/2)) tokens, at least one, at distinct positions', () => {
    expect(arccosMaskCount(0, 32)).toBe(32);
    expect(arccosMaskCount(1, 32)).toBe(1);
    expect(arccosMaskCount(Math.cos(Math.PI / 4), 32)).toBe(16);
    expect(arccosMaskCount(0.999999, 32, 0.5)).toBe(16);
    const rng = new TrainingRng(1);
    const counts = new Array(33).fill(0);
    for (let i = 0; i < 4000; i++) {
      const n = arccosMaskCount(rng.uniform(), 32);
      counts[n]++;
      const m = maskPositions(rng, 32, n);
      expect(m.reduce((s, x) => s + x, 0)).toBe(n);
    }
    // More tokens masked is more likely: the density of arccos(r)/(π/2) grows towards 1.
    expect(counts.slice(24, 33).reduce((a, b) => a + b)).toBeGreaterThan(counts.slice(1, 9).reduce((a, b) => a + b) * 1.5);
  });
});

describe.each(['cpu', 'wasm'] as BackendName[])('GeneratorTrainer on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend({ backend, env: {} });
  });

  it('lowers the masked cross-entropy, drops classes for guidance, and leaves no tensor behind', async () => {
    const t = GeneratorTrainer.create(CONFIG, tokenData(24), { ...OPTIONS, steps: 40, classDropout: 0.25 });
    const b = t.maskedBatch(t.batchIndices(0));
    const noClass = K + 1 + 3;
    const classTokens = Array.from({ length: 6 }, (_, i) => b.sequences[i * (L + 1)]!);
    expect(classTokens.every((c) => c === noClass || (c > K && c < noClass))).toBe(true);
    for (let i = 0; i < 6 * L; i++) expect(b.sequences[Math.floor(i / L) * (L + 1) + 1 + (i % L)]).toBe(b.masked[i] ? K : b.targets[i]);
    const first = await t.trainStep();
    const count = tf.memory().numTensors;
    await t.train({ progress_callback: () => expect(tf.memory().numTensors).toBe(count) });
    const last = t.history.slice(-5).reduce((s, e) => s + e.losses.nll!, 0) / 5;
    expect(last).toBeLessThan(first.losses.nll! * 0.6);
    t.dispose();
  });

  it('is deterministic for a seed and resumes bit for bit', async () => {
    const data = tokenData(12);
    const straight = GeneratorTrainer.create(CONFIG, data, OPTIONS);
    await straight.train();
    const again = GeneratorTrainer.create(CONFIG, data, OPTIONS);
    await again.train();
    expect(same(await weightsOf(straight), await weightsOf(again))).toBe(true);
    const other = GeneratorTrainer.create(CONFIG, data, { ...OPTIONS, seed: 6 });
    await other.train();
    expect(same(await weightsOf(straight), await weightsOf(other))).toBe(false);
    const part = GeneratorTrainer.create(CONFIG, data, OPTIONS);
    await part.train({ until: 4 });
    const ckpt = await decodeTrainingCheckpoint(await encodeTrainingCheckpoint(await part.checkpoint()));
    const resumed = await GeneratorTrainer.resume(ckpt, data);
    await resumed.train();
    expect(same(await weightsOf(straight), await weightsOf(resumed))).toBe(true);
    expect(resumed.history.map((e) => e.losses)).toEqual(straight.history.map((e) => e.losses));
    for (const t of [straight, again, other, part, resumed]) t.dispose();
  });
});

describe('sliceMaskedBatch', () => {
  it('cuts a replica\'s share of a masked batch, example by example', () => {
    const t = GeneratorTrainer.create(CONFIG, tokenData(24), OPTIONS);
    const b = t.maskedBatch(t.batchIndices(0));
    const part = sliceMaskedBatch(b, { start: 2, end: 5 });
    expect(part.batch).toBe(3);
    expect(part.seqLen).toBe(L);
    expect([...part.sequences]).toEqual([...b.sequences.subarray(2 * (L + 1), 5 * (L + 1))]);
    expect([...part.targets]).toEqual([...b.targets.subarray(2 * L, 5 * L)]);
    expect([...part.masked]).toEqual([...b.masked.subarray(2 * L, 5 * L)]);
    t.dispose();
  });
});

describe('GeneratorTrainer errors', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('refuses token data that does not fit the generator', () => {
    const d = tokenData(3);
    expect(() => GeneratorTrainer.create(CONFIG, { ...d, seqLen: 5 }, OPTIONS)).toThrow(InputError);
    expect(() => GeneratorTrainer.create(CONFIG, { ...d, ids: d.ids.map(() => K) }, OPTIONS)).toThrow(/token id 12 is outside \[0, 12\)/);
    expect(() => GeneratorTrainer.create(CONFIG, { ...d, labels: [0, 1, 3] }, OPTIONS)).toThrow(/label 3 is outside \[0, 3\)/);
  });
});
