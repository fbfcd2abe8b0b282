import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, InputError, selectBackend } from '@titok/core';
import type { GeneratorConfig } from '@titok/core';
import { buildGeneratorNetwork } from './build.js';
import { buildSequence, classTokenId, maskTokenId, noClassTokenId, vocabSize } from './token-space.js';

const sampling = { numSteps: 2, guidanceScale: 1, guidanceDecay: 'linear', guidanceScalePow: 3, randomizeTemperature: 1, softmaxTemperatureAnnealing: false } as const;
const config = (modelType: 'ViT' | 'UViT', layers = 2): GeneratorConfig => ({
  type: 'generator', modelType, hiddenSize: 16, numHiddenLayers: layers, numAttentionHeads: 4, intermediateSize: 24, imageSeqLen: 5, codebookSize: 7, numClasses: 3, sampling,
});

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', env: {} });
});

describe('token space', () => {
  it('puts the mask, the classes and the no-class token after the K image tokens', () => {
    expect([maskTokenId(7), classTokenId(7, 0), classTokenId(7, 2), noClassTokenId(7, 3), vocabSize(7, 3)]).toEqual([7, 8, 10, 11, 12]);
    expect(Array.from(buildSequence(Int32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([8, 9]), 3))).toEqual([8, 1, 2, 3, 9, 4, 5, 6]);
  });
});

describe.each(['ViT', 'UViT'] as const)('%s network', (type) => {
  it('maps B x (1 + L) tokens to B x L x K logits and frees every tensor', async () => {
    const net = buildGeneratorNetwork(config(type), { seed: 1 });
    const ids = Int32Array.from([7, 7, 0, 6, 7, 1, 2, 3, 7, 7]);
    await net.logits(ids, Int32Array.from([8, 11]));
    const before = tf.memory().numTensors;
    const a = await net.logits(ids, Int32Array.from([8, 11]));
    const b = await net.logits(ids, Int32Array.from([8, 11]));
    expect(tf.memory().numTensors).toBe(before);
    expect(a.length).toBe(2 * 5 * 7);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.every(Number.isFinite)).toBe(true);
    const other = await net.logits(ids, Int32Array.from([9, 11]));
    expect(Array.from(other.subarray(0, 35))).not.toEqual(Array.from(a.subarray(0, 35)));
    expect(Array.from(other.subarray(35))).toEqual(Array.from(a.subarray(35)));
    net.disposeAll();
  });

  it('refuses ids outside the token space', async () => {
    const net = buildGeneratorNetwork(config(type), { zeros: true });
    await expect(net.logits(Int32Array.from([0, 1, 2, 3, 8]), Int32Array.from([8]))).rejects.toThrow(new InputError('token id 8 is outside [0, 7] (K = mask)'));
    await expect(net.logits(Int32Array.from([0, 1, 2, 3, 4]), Int32Array.from([7]))).rejects.toThrow(InputError);
    await expect(net.logits(Int32Array.from([0, 1, 2]), Int32Array.from([8]))).rejects.toThrow('expected 1 x 5 token ids, got 3');
    net.disposeAll();
  });
});

describe('U-ViT layout', () => {
  it('has layers/2 in-blocks, a mid-block and layers/2 out-blocks with skip_linear', () => {
    const net = buildGeneratorNetwork(config('UViT', 4), { zeros: true });
    const keys = [...net.namedWeights().keys()];
    expect(keys.filter((k) => k.endsWith('skip_linear.weight'))).toEqual(['out_blocks.0.skip_linear.weight', 'out_blocks.1.skip_linear.weight']);
    expect(keys.filter((k) => k.endsWith('.norm1.weight'))).toEqual(['in_blocks.0.norm1.weight', 'in_blocks.1.norm1.weight', 'mid_block.norm1.weight', 'out_blocks.0.norm1.weight', 'out_blocks.1.norm1.weight']);
    expect(keys.filter((k) => k.startsWith('in_blocks.0.attn.'))).toEqual(['in_blocks.0.attn.qkv.weight', 'in_blocks.0.attn.proj.weight', 'in_blocks.0.attn.proj.bias']);
    expect(net.namedWeights().get('pos_embed')!.shape).toEqual([1, 6, 16]);
    net.disposeAll();
  });

  it('refuses a width that the heads do not divide', () => {
    expect(() => buildGeneratorNetwork({ ...config('ViT'), numAttentionHeads: 5 })).toThrow(ConfigError);
  });
});
