import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '@titok/core';

/** Tokens of the images in a tokens file: ids (VQ) or L x C arrays (VAE, the posterior mean). */
export interface TokensFile {
  /** Ids per image (VQ models). */
  ids?: number[][];
  /** L x C values per image (VAE models). */
  latents?: number[][][];
  /** Names of the source images, when the file has them. */
  files: string[];
}

function isNumberArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}

function isMatrix(x: unknown): x is number[][] {
  return Array.isArray(x) && x.length > 0 && x.every(isNumberArray);
}

/**
 * Reads a tokens file: what `titok encode --json` prints (`{"images": [{"file", "tokens"}]}`,
 * or `"mean"`/`"logvar"` for VAE models), or a bare JSON array: ids of one image, one array of
 * ids per image, or (VAE) L x C values of one image or one such matrix per image.
 *
 * @throws InputError naming the file and what is wrong with it
 */
export async function readTokensFile(file: string, cwd: string, vae: boolean): Promise<TokensFile> {
  let text: string;
  try {
    text = await fsp.readFile(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new InputError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`, { file });
  }
  const bad = (what: string) => new InputError(`${file}: ${what}`, { file });
  if (Array.isArray(json)) {
    if (json.length === 0) throw bad('the token list is empty');
    if (!vae) {
      if (isNumberArray(json)) return { ids: [json], files: [] };
      if (json.every(isNumberArray)) return { ids: json as number[][], files: [] };
      throw bad('expected an array of token ids, or one array of ids per image');
    }
    if (isMatrix(json)) return { latents: [json], files: [] };
    if (json.every(isMatrix)) return { latents: json as number[][][], files: [] };
    throw bad('this is a VAE model: expected L x C arrays of token values (one image) or one such array per image');
  }
  const images = (json as { images?: unknown })?.images;
  if (!Array.isArray(images) || images.length === 0) {
    throw bad('expected what `titok encode --json` writes ({"images": [...]}) or a bare array of token ids');
  }
  const files = images.map((img, i) => String((img as { file?: unknown })?.file ?? `image ${i}`));
  if (!vae) {
    const ids = images.map((img, i) => {
      const t = (img as { tokens?: unknown })?.tokens;
      if (!isNumberArray(t)) {
        throw bad(
          (img as { mean?: unknown })?.mean !== undefined
            ? `images[${i}] holds VAE tokens ("mean"), but the model is a VQ tokenizer`
            : `images[${i}].tokens must be an array of token ids`,
        );
      }
      return t;
    });
    return { ids, files };
  }
  const latents = images.map((img, i) => {
    const m = (img as { mean?: unknown })?.mean;
    if (!isMatrix(m)) {
      throw bad(
        (img as { tokens?: unknown })?.tokens !== undefined
          ? `images[${i}] holds token ids, but the model is a VAE tokenizer (it needs "mean")`
          : `images[${i}].mean must be an L x C array of numbers`,
      );
    }
    return m;
  });
  return { latents, files };
}
