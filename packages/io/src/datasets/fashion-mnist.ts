import { FormatError } from '@titok/core';
import type { IdxArray } from './idx.js';

/** The ten Fashion-MNIST classes, by label (Xiao, Rasul and Vollgraf, 2017). */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  't-shirt/top',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
]);

/** A split of Fashion-MNIST (or MNIST): grey images and their labels. */
export interface LabelledImages {
  count: number;
  height: number;
  width: number;
  /** One channel: `count` x `height` x `width` bytes, 0 = black. */
  pixels: Uint8Array;
  /** `count` labels in 0..9. */
  labels: Uint8Array;
}

/**
 * Joins an images IDX array (uint8, N x H x W) and a labels IDX array (uint8, N), optionally
 * padding every image with `pad` black pixels on each side (28 -> 32 with pad 2).
 *
 * @throws FormatError when the arrays do not fit together
 */
export function labelledImages(images: IdxArray, labels: IdxArray, options: { pad?: number; name?: string } = {}): LabelledImages {
  const name = options.name ?? 'dataset';
  if (images.dtype !== 'uint8' || images.shape.length !== 3) throw new FormatError(`images must be uint8 N x H x W, got ${images.dtype} [${images.shape.join(', ')}]`, { file: name });
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) throw new FormatError(`labels must be uint8 N, got ${labels.dtype} [${labels.shape.join(', ')}]`, { file: name });
  const [n, h, w] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) throw new FormatError(`${n} images but ${labels.shape[0]} labels`, { file: name });
  const pad = options.pad ?? 0;
  const H = h + 2 * pad;
  const W = w + 2 * pad;
  const src = images.data as Uint8Array;
  let pixels = src;
  if (pad > 0) {
    pixels = new Uint8Array(n * H * W);
    for (let i = 0; i < n; i++) {
      for (let y = 0; y < h; y++) pixels.set(src.subarray((i * h + y) * w, (i * h + y + 1) * w), (i * H + y + pad) * W + pad);
    }
  }
  return { count: n, height: H, width: W, pixels, labels: labels.data as Uint8Array };
}
