import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FormatError, InputError } from '@titok/core';
import { labelledImages } from './fashion-mnist.js';
import type { LabelledImages } from './fashion-mnist.js';
import { parseIdx } from './idx.js';
import type { IdxArray } from './idx.js';

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Reads an IDX file, gzip-compressed (`.gz`, detected from the bytes) or not.
 *
 * @throws InputError when the file cannot be read; FormatError when it is not IDX or the gzip is damaged
 */
export async function readIdxFile(file: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new FormatError(`damaged gzip data (${(e as Error).message})`, { file });
    }
  }
  return parseIdx(bytes, file);
}

/**
 * Loads a Fashion-MNIST split from its IDX files (`train-*` or `t10k-*`, `.gz` or not) in `dir`
 * (default: Debian's `/usr/share/datasets/fashion-mnist`), padded by `pad` pixels per side
 * (default 2: 28x28 -> 32x32).
 *
 * @throws InputError when the files are missing (with the apt-get command that installs them)
 */
export async function loadFashionMnist(split: 'train' | 'test', options: { dir?: string; pad?: number } = {}): Promise<LabelledImages> {
  const dir = options.dir ?? DEBIAN_FASHION_MNIST_DIR;
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = async (kind: string) => {
    for (const f of [`${prefix}-${kind}-ubyte.gz`, `${prefix}-${kind}-ubyte`]) {
      const p = path.join(dir, f);
      if (await fsp.stat(p).then(() => true, () => false)) return p;
    }
    throw new InputError(`${path.join(dir, `${prefix}-${kind}-ubyte.gz`)} not found: install Fashion-MNIST with 'apt-get install dataset-fashion-mnist' or pass its folder`);
  };
  const imagesFile = await find('images-idx3');
  const labelsFile = await find('labels-idx1');
  return labelledImages(await readIdxFile(imagesFile), await readIdxFile(labelsFile), { pad: options.pad ?? 2, name: imagesFile });
}
