import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@titok/core';
import { resizeBicubic } from './pillow-resize.js';
import {
  checkTensor,
  drawableToPixels,
  isRawImage,
  rawToPixels,
  tensorToPixels,
  type ImageInput,
  type ImagesInput,
  type Pixels,
  type RawImage,
} from './pixels.js';

/** Options of {@link prepareImages}. */
export interface PrepareImagesOptions {
  /** The model's image side in pixels (256 for the released models). */
  size: number;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The reference geometry: the shorter side becomes `size` and the longer one
 * `round(side * size / shorter)`; then the centre `size` x `size` box is cut out, its
 * top-left corner at `((width - size) // 2, (height - size) // 2)` of the resized image.
 */
export function fitGeometry(width: number, height: number, size: number): { width: number; height: number; left: number; top: number } {
  const shorter = Math.min(width, height);
  const w = width === shorter ? size : roundHalfEven((width * size) / shorter);
  const h = height === shorter ? size : roundHalfEven((height * size) / shorter);
  return { width: w, height: h, left: Math.floor((w - size) / 2), top: Math.floor((h - size) / 2) };
}

/**
 * Resizes host pixels so the shorter side is `size` (Pillow's bicubic, byte-identical for 8-bit
 * pixels) and cuts out the centre square. A side that already has its target length is not
 * resampled, so an image of exactly `size` x `size` comes back unchanged.
 */
export function resizeAndCrop(p: Pixels, size: number): Pixels {
  const g = fitGeometry(p.width, p.height, size);
  const resized = g.width === p.width && g.height === p.height ? p.data : resizeBicubic(p.data, p.width, p.height, 3, g.width, g.height);
  if (g.width === size && g.height === size) return { data: resized, width: size, height: size };
  const out = resized instanceof Uint8Array ? new Uint8Array(size * size * 3) : new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const from = ((y + g.top) * g.width + g.left) * 3;
    out.set(resized.subarray(from, from + size * 3), y * size * 3);
  }
  return { data: out, width: size, height: size };
}

/** Host pixels to a [1, size, size, 3] float tensor: bytes / 255, floats clamped to [0, 1] if resampled. */
function pixelsToTensor(p: Pixels, size: number): tf.Tensor4D {
  const resampled = p.width !== size || p.height !== size;
  const fitted = resizeAndCrop(p, size);
  let values: Float32Array;
  if (fitted.data instanceof Uint8Array) {
    values = Float32Array.from(fitted.data, (v) => v / 255);
  } else {
    values = fitted.data;
    if (resampled) for (let i = 0; i < values.length; i++) values[i] = Math.min(1, Math.max(0, values[i]!));
  }
  return tf.tensor4d(values, [1, size, size, 3], 'float32');
}

function label(index: number, count: number): string {
  return count === 1 ? 'image' : `image ${index}`;
}

/** Tensors of a batch: float32 at the right size stays on the device; others go through the host. */
function tensorToBatch(t: tf.Tensor, size: number, what: string): tf.Tensor4D[] {
  checkTensor(t, what);
  const batch = (t.rank === 3 ? tf.expandDims(t, 0) : tf.clone(t)) as tf.Tensor4D;
  try {
    const [n, h, w, c] = batch.shape;
    if (batch.dtype === 'float32' && h === size && w === size) {
      return [tf.tidy(() => (c === 3 ? tf.clone(batch) : tf.slice(batch, [0, 0, 0, 0], [n, h, w, 3])))];
    }
    const out: tf.Tensor4D[] = [];
    for (let i = 0; i < n; i++) {
      const one = tf.tidy(() => tf.squeeze(tf.slice(batch, [i, 0, 0, 0], [1, h, w, c]), [0]));
      try {
        out.push(pixelsToTensor(tensorToPixels(one, n === 1 ? what : `${what}, batch element ${i}`), size));
      } finally {
        one.dispose();
      }
    }
    return out;
  } finally {
    batch.dispose();
  }
}

function toBatch(img: ImageInput, size: number, what: string): tf.Tensor4D[] {
  if (img instanceof tf.Tensor) return tensorToBatch(img, size, what);
  if (isRawImage(img)) return [pixelsToTensor(rawToPixels(img as RawImage, what), size)];
  if (typeof img === 'object' && img !== null) {
    const drawn = drawableToPixels(img, what);
    if (drawn) return [pixelsToTensor(drawn, size)];
  }
  const kind = img === null ? 'null' : Array.isArray(img) ? 'a nested array' : typeof img === 'object' ? (img.constructor?.name ?? 'object') : typeof img;
  throw new InputError(
    `${what}: cannot read ${kind} as an image (expected a tf.Tensor, {data, width, height}, ImageData, an <img>, <canvas> or ImageBitmap)`,
  );
}

/**
 * Prepares images for a TiTok model: returns NHWC float32 pixels in [0, 1], `size` x `size`.
 *
 * Accepts tf tensors (HWC, or NHWC for a batch; int32 holds 0..255, float32 holds [0, 1]), raw
 * RGB/RGBA pixels `{ data, width, height }` (Uint8Array/Uint8ClampedArray 0..255 or Float32Array
 * [0, 1]; alpha is dropped), `ImageData`, and in browsers `<img>`, `<canvas>`, `ImageBitmap`,
 * `OffscreenCanvas` and `<video>`; or an array of these. Each image is resized so its shorter
 * side is `size` with Pillow's antialiased bicubic filter (the reference preprocessing; 8-bit
 * images give byte-identical results) and the centre square is cut out. An image that is
 * already `size` x `size` is not resampled (8-bit values are divided by 255, float values pass
 * through untouched). Bad input (wrong channel count, empty image, a buffer whose length does
 * not match its size, 0..255 floats) is an {@link InputError} naming the problem.
 *
 * The caller owns the returned tensor.
 */
export function prepareImages(input: ImagesInput, options: PrepareImagesOptions): tf.Tensor4D {
  const size = options?.size;
  if (!Number.isInteger(size) || size <= 0) throw new InputError(`image size must be a positive whole number, got ${size}`);
  const items = Array.isArray(input) ? input : [input];
  if (items.length === 0) throw new InputError('no images given (an empty list)');
  const parts: tf.Tensor4D[] = [];
  try {
    items.forEach((img, i) => parts.push(...toBatch(img, size, label(i, items.length))));
    if (parts.length === 1) return parts.pop()!;
    return tf.concat(parts, 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/**
 * Images in [0, 1] to 8-bit values the way the reference demo does it: clamp to [0, 1], times
 * 255, truncate (not round). Returns an int32 tensor of the same shape (tfjs has no uint8).
 */
export function toUint8Images<T extends tf.Tensor>(images: T): T {
  return tf.tidy(() => tf.cast(tf.floor(tf.mul(tf.clipByValue(images, 0, 1), 255)), 'int32')) as T;
}

/** NHWC images in [0, 1] to one raw 8-bit RGB image per batch element (see {@link toUint8Images}). */
export async function toRawImages(images: tf.Tensor4D): Promise<Array<RawImage & { data: Uint8Array; channels: 3 }>> {
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new InputError(`expected NHWC RGB images, got shape [${images.shape.join(', ')}]`);
  }
  const [n, height, width] = images.shape;
  const bytes = toUint8Images(images);
  const all = Uint8Array.from(await bytes.data());
  bytes.dispose();
  const plane = height * width * 3;
  return Array.from({ length: n }, (_, i) => ({ data: all.slice(i * plane, (i + 1) * plane), width, height, channels: 3 as const }));
}
