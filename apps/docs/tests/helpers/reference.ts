/**
 * The same generation in Node (cpu backend, the packages' sources), to check that the page's
 * tokens and image are what the library gives for the same seed and settings.
 */
import { TitokGenerator } from '@titok/generator';
import { TiTok } from '@titok/tokenizer';
import { GENERATOR, TOKENIZER, fixtureDir } from './fixtures';

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
