import type * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@titok/core';
import type { TiTok, TitokDecodeOptions } from '@titok/tokenizer';
import type { ClassLabelInput } from '../imagenet-classes.js';
import type { GenerateOptions } from '../sampling/options.js';
import type { GenerationOutput, TitokGenerator } from './titok-generator.js';

/** What the pipeline needs of a tokenizer (a {@link TiTok} loaded with its decoder). */
export type TokenDecoder = Pick<TiTok, 'numTokens' | 'codebookSize' | 'config' | 'decode'>;

/** What the generator needs of a tokenizer: its size. */
type TokenSpace = Pick<TiTok, 'numTokens' | 'codebookSize' | 'config'>;

/**
 * Checks that a tokenizer can decode a generator's tokens: a VQ tokenizer whose codebook size
 * and token count are the generator's.
 *
 * @throws ConfigError naming both numbers when they differ
 */
export function assertPairable(generator: Pick<TitokGenerator, 'codebookSize' | 'numTokens'>, tokenizer: TokenSpace): void {
  if (tokenizer.config.quantizeMode !== 'vq') {
    throw new ConfigError('the tokenizer has continuous (VAE) tokens; the generators make VQ token ids: use the VQ tokenizer the generator was trained with');
  }
  if (tokenizer.codebookSize !== generator.codebookSize) {
    throw new ConfigError(
      `the generator makes tokens from a codebook of ${generator.codebookSize} but the tokenizer's codebook has ${tokenizer.codebookSize}: use the tokenizer the generator was trained with`,
    );
  }
  if (tokenizer.numTokens !== generator.numTokens) {
    throw new ConfigError(
      `the generator makes ${generator.numTokens} tokens per image but the tokenizer decodes ${tokenizer.numTokens}: use the tokenizer the generator was trained with`,
    );
  }
}

/** Options of {@link generateImages}: sampling settings plus how the images come out. */
export interface GenerateImagesOptions extends GenerateOptions {
  /** `'float'` (default): float32 in [0, 1]; `'uint8'`: 0..255 values, truncated as the reference does. */
  output?: TitokDecodeOptions['output'];
  /** Decode at most this many images at a time. */
  batchSize?: number;
}

/** What {@link generateImages} returns. */
export interface GeneratedImages extends GenerationOutput {
  /** N x S x S x 3 images; the caller disposes them. */
  images: tf.Tensor4D;
}

/**
 * The class-to-image pipeline: class labels (indices or ImageNet names) -> the generator's
 * MaskGIT sampling -> token ids -> the tokenizer's decoder -> images.
 *
 * @example
 * ```ts
 * const generator = await TitokGenerator.fromPretrained('titok-l32-generator');
 * const tokenizer = await TiTok.fromPretrained('titok-l32', { parts: 'decoder' });
 * const { images } = await generateImages(generator, tokenizer, ['tabby', 'goldfish'], { seed: 1 });
 * ```
 * @throws ConfigError when the tokenizer does not pair with the generator; InputError for a bad
 *   class or setting; CancelledError when `options.signal` aborts
 */
export async function generateImages(
  generator: TitokGenerator,
  tokenizer: TokenDecoder,
  classes: ClassLabelInput | readonly ClassLabelInput[],
  options: GenerateImagesOptions = {},
): Promise<GeneratedImages> {
  assertPairable(generator, tokenizer);
  const { output, batchSize, ...sampling } = options;
  const out = await generator.generate(classes, sampling);
  const images = await tokenizer.decode(out.tokens, { output, batchSize });
  return { ...out, images };
}
