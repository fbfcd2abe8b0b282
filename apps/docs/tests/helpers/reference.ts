/**
 * The same work in Node (the packages' sources), to check that the page's tokens and images are
 * what the library gives for the same input, seed and settings. Generation runs on the cpu
 * backend; the code search on wasm, the page's backend in these tests (its choices compare
 * decoded errors, and the cpu backend takes 30 s for what wasm does in about one).
 */
import * as tf from '@tensorflow/tfjs-core';
import { TitokGenerator } from '@titok/generator';
import { TiTok } from '@titok/tokenizer';
import { PLAYGROUND_SEARCH } from '../../playground/protocol';
import { GENERATOR, TOKENIZER, fixtureDir } from './fixtures';

/** The tiny tokenizer's tokens for an 8-bit RGB picture (HWC) with the playground's code search. */
export async function referenceSearch(rgb: number[], size: number): Promise<number[]> {
  const titok = await TiTok.fromPretrained(fixtureDir(TOKENIZER), { device: 'wasm' });
  const x = tf.tidy(() => tf.div(tf.tensor4d(rgb, [1, size, size, 3], 'float32'), 255) as tf.Tensor4D);
  try {
    const ids = (await titok.encode(x, { search: PLAYGROUND_SEARCH })) as tf.Tensor2D;
    const tokens = Array.from(await ids.data());
    ids.dispose();
    return tokens;
  } finally {
    x.dispose();
    titok.dispose();
  }
}

export interface ReferenceGeneration {
  tokens: number[];
  /** HWC RGB bytes. */
  image: number[];
}

export async function referenceGeneration(classLabel: number, seed: number): Promise<ReferenceGeneration> {
  const gen = await TitokGenerator.fromPretrained(fixtureDir(GENERATOR), { device: 'cpu' });
  const titok = await TiTok.fromPretrained(fixtureDir(TOKENIZER), { device: 'cpu', parts: 'decoder' });
  try {
    const out = await gen.generate(classLabel, { seed });
    const images = await titok.decode(out.tokens, { output: 'uint8' });
    const image = Array.from(await images.data());
    images.dispose();
    return { tokens: out.tokens[0]!, image };
  } finally {
    gen.dispose();
    titok.dispose();
  }
}
