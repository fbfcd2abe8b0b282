import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FormatError } from '@titok/core';
import type { TrainingCheckpoint } from '@titok/core';
import { encodeSafetensors } from '../formats/safetensors-writer.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from './node-checkpoint-file.js';
import { decodeTrainingCheckpoint, encodeTrainingCheckpoint } from './training-checkpoint.js';

function checkpoint(step: number): TrainingCheckpoint {
  return {
    format: 'titok-training-checkpoint',
    version: 1,
    kind: 'tokenizer',
    step,
    rng: { seed: 9, counter: 12345 },
    optimizer: { options: { learningRate: 1e-3, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 1e-4 }, step },
    config: { model: { vq_model: { codebook_size: 8 } } },
    settings: { seed: 9, steps: 100, batchSize: 4 },
    history: [{ step, losses: { loss: 0.1 + 1e-17, mse: Math.PI / 10 }, lr: 1e-3, elapsed: 1.25 }],
    elapsed: 1.25,
    tensors: new Map([
      ['model.w', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, Math.fround(1 / 3), -0, 1e-30]) }],
      ['adam.m.w', { shape: [2, 3], data: new Float32Array(6).fill(0.25) }],
      ['extra.code_last_used', { shape: [4], data: Float32Array.from([0, 1, 2, 3]) }],
    ]),
  };
}

describe('training checkpoints', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trip every number exactly', async () => {
    const c = checkpoint(7);
    const back = await decodeTrainingCheckpoint(await encodeTrainingCheckpoint(c));
    expect({ ...back, tensors: undefined }).toEqual({ ...c, tensors: undefined });
    expect([...back.tensors.keys()].sort()).toEqual([...c.tensors.keys()].sort());
    for (const [k, t] of c.tensors) {
      expect(back.tensors.get(k)!.shape).toEqual(t.shape);
      expect(Buffer.from(back.tensors.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
  });

  it('save atomically over an older file and leave no temporary files', async () => {
    const file = path.join(dir, 'run', 'tokenizer.ckpt');
    await saveTrainingCheckpoint(file, checkpoint(1));
    await saveTrainingCheckpoint(file, checkpoint(2));
    expect((await loadTrainingCheckpoint(file)).step).toBe(2);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['tokenizer.ckpt']);
  });

  it('refuses a safetensors file that is not a training checkpoint', async () => {
    const plain = await encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: new Uint8Array(4) }]);
    await expect(decodeTrainingCheckpoint(plain, 'model.safetensors')).rejects.toThrow(FormatError);
    await expect(decodeTrainingCheckpoint(plain, 'model.safetensors')).rejects.toThrow(/model.safetensors: not a titok training checkpoint/);
    await expect(loadTrainingCheckpoint(path.join(dir, 'nope.ckpt'))).rejects.toThrow(/cannot read the training checkpoint \(ENOENT\)/);
  });
});
