import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ConfigError, InputError, parseModelConfig } from '@titok/core';
import { findClassName, resolveClassLabel } from './imagenet-classes.js';
import { TitokGenerator } from './pipeline/titok-generator.js';

const FASHION = ['t-shirt/top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];

function config(classNames?: unknown) {
  return {
    model: {
      generator: {
        codebook_size: 16, image_seq_len: 4, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32,
        condition_num_classes: 10, num_steps: 2, ...(classNames === undefined ? {} : { class_names: classNames }),
      },
    },
  };
}

describe("a generator's own class names", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are read from model.generator.class_names, and checked', () => {
    expect(parseModelConfig(config(FASHION)).generator!.classNames).toEqual(FASHION);
    expect(parseModelConfig(config()).generator!.classNames).toBeUndefined();
    expect(() => parseModelConfig(config(FASHION.slice(1)))).toThrow(ConfigError);
    expect(() => parseModelConfig(config(FASHION.slice(1)))).toThrow(/class_names must be a list of 10 non-empty names/);
    expect(() => parseModelConfig(config([...FASHION.slice(1), 3]))).toThrow(/class_names/);
  });

  it('resolve names case-insensitively, whole or by their / parts, before ImageNet names', () => {
    expect(resolveClassLabel('sneaker', 10, FASHION)).toBe(7);
    expect(resolveClassLabel('Ankle  Boot', 10, FASHION)).toBe(9);
    expect(resolveClassLabel('T-shirt', 10, FASHION)).toBe(0);
    expect(resolveClassLabel('t-shirt/top', 10, FASHION)).toBe(0);
    expect(resolveClassLabel('8', 10, FASHION)).toBe(8);
    expect(findClassName('top', FASHION)).toEqual([0]);
    expect(() => resolveClassLabel('golden retriever', 10, FASHION)).toThrow(InputError);
    expect(() => resolveClassLabel('golden retriever', 10, FASHION)).toThrow(/unknown class name 'golden retriever': this generator's classes are 0 t-shirt\/top, 1 trouser/);
    expect(() => resolveClassLabel('sneaker', 10)).toThrow(/names are ImageNet classes/);
  });

  it('are what TitokGenerator.generate and className use', async () => {
    const gen = TitokGenerator.fromConfig(parseModelConfig(config(FASHION)).generator!, { seed: 1 });
    const out = await gen.generate(['sneaker', 'bag', 0], { seed: 3 });
    expect(out.labels).toEqual([7, 8, 0]);
    expect(gen.className(9)).toBe('ankle boot');
    gen.dispose();
    const imagenetLike = TitokGenerator.fromConfig(parseModelConfig(config()).generator!, { seed: 1 });
    expect(imagenetLike.className(3)).toBeUndefined();
    imagenetLike.dispose();
  });
});
