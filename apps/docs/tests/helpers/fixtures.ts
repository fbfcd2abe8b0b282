/**
 * What the playground must show for the bundled tiny model, from the reference fixtures in
 * test/fixtures (read-only): token ids, the exact 64x64 inputs and the reconstruction pixels.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, loadExpected } from '../../../../test/helpers/fixtures';

export const TOKENIZER = 'titok_tiny_vq_legacy';
export const GENERATOR = 'generator_tiny_bert';
/** The pictures of the fixture batch, in order. */
export const PICTURES = ['chelsea_256', 'coffee_256'] as const;

export interface PictureExpectation {
  tokens: number[];
  /** The model input as 8-bit RGB (HWC): the reference's Pillow resize. */
  input: number[];
  /** decode_tokens.uint8: the reconstruction from the tokens (HWC RGB). */
  reconstruction: number[];
}

export interface TinyExpectations {
  size: number;
  numTokens: number;
  codebookSize: number;
  pictures: PictureExpectation[];
}

export async function tinyExpectations(): Promise<TinyExpectations> {
  const e = await loadExpected(TOKENIZER);
  const ids = e.get('quantize.indices')!;
  const inputs = e.get('inputs.images')!;
  const recon = e.get('decode_tokens.uint8')!;
  const [n, , L] = ids.shape as [number, number, number];
  const [, c, size] = inputs.shape as [number, number, number, number];
  const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, TOKENIZER, 'config.json'), 'utf8'));
  const plane = size * size;
  const pictures = Array.from({ length: n }, (_, i) => {
    const input: number[] = [];
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) input.push(Math.round(inputs.data[(i * c + ch) * plane + p]! * 255));
    return {
      tokens: Array.from(ids.data.subarray(i * L, (i + 1) * L)),
      input,
      reconstruction: Array.from(recon.data.subarray(i * plane * 3, (i + 1) * plane * 3)),
    };
  });
  return { size, numTokens: L, codebookSize: config.model.vq_model.codebook_size, pictures };
}

export function fixtureDir(name: string): string {
  return path.join(FIXTURES, name);
}
