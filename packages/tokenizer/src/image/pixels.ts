/**
 * Turns every accepted kind of image into host pixels: interleaved RGB, 8-bit or float, with
 * alpha dropped (as Pillow's `convert('RGB')` does). Browser-only inputs are recognised with
 * `typeof` checks so that this module loads in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@titok/core';

/** Raw pixels: RGB or RGBA, row-major, interleaved; bytes (0-255) or floats in [0, 1]. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA); inferred from the data length when absent. */
  channels?: number;
}

/** Images the browser draws: `<img>`, `<canvas>`, `ImageBitmap`, `OffscreenCanvas`, `<video>`. */
export type DrawableImage = { readonly width: number; readonly height: number } & object;

/** One image: a tensor (HWC, or NHWC for several: rank 3 or 4), raw pixels, ImageData or a browser image. */
export type ImageInput = tf.Tensor | RawImage | DrawableImage;

/** One or more images. */
export type ImagesInput = ImageInput | ImageInput[];

/** Host RGB pixels, interleaved. */
export interface Pixels {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
}

function checkSize(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new InputError(`${what}: width and height must be whole numbers, got ${width}x${height}`);
  }
  if (width === 0 || height === 0) throw new InputError(`${what} is empty (${width}x${height} pixels)`);
}

function checkChannels(channels: number, what: string): void {
  if (channels !== 3 && channels !== 4) {
    throw new InputError(`${what} has ${channels} channel${channels === 1 ? '' : 's'}; expected 3 (RGB) or 4 (RGBA)`);
  }
}

/** Drops alpha and copies into a fresh array of the right kind. */
function toRgb(src: ArrayLike<number>, pixelCount: number, channels: number, float: boolean): Uint8Array | Float32Array {
  const out = float ? new Float32Array(pixelCount * 3) : new Uint8Array(pixelCount * 3);
  if (channels === 3) {
    out.set(src as ArrayLike<number>);
    return out;
  }
  for (let p = 0; p < pixelCount; p++) {
    out[p * 3] = src[p * channels]!;
    out[p * 3 + 1] = src[p * channels + 1]!;
    out[p * 3 + 2] = src[p * channels + 2]!;
  }
  return out;
}

/** Throws unless every value is a whole number in 0..255. */
function checkBytes(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
      throw new InputError(`${what}: integer pixel values must lie in 0..255, found ${v}`);
    }
  }
}

/** Throws when float pixels are clearly not in [0, 1] (e.g. 0..255 floats) or not finite. */
export function checkUnitFloats(values: ArrayLike<number>, what: string): void {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new InputError(`${what}: float pixel values must be finite, found ${v}`);
    if (v > max) max = v;
  }
  if (max > 2) {
    throw new InputError(
      `${what}: float pixel values must lie in [0, 1], found ${max} (divide by 255, or pass integer/uint8 data)`,
    );
  }
}

export function isRawImage(x: unknown): x is RawImage {
  const r = x as RawImage;
  return (
    typeof x === 'object' &&
    x !== null &&
    !(x instanceof tf.Tensor) &&
    typeof r.width === 'number' &&
    typeof r.height === 'number' &&
    r.data !== undefined &&
    ArrayBuffer.isView(r.data)
  );
}

/** Raw pixels (or ImageData) to host RGB. */
export function rawToPixels(img: RawImage, what: string): Pixels {
  const { data, width, height } = img;
  checkSize(width, height, what);
  const float = data instanceof Float32Array;
  if (!(float || data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new InputError(`${what}: pixel data must be a Uint8Array, Uint8ClampedArray or Float32Array, got ${(data as object)?.constructor?.name}`);
  }
  const n = width * height;
  let channels = img.channels;
  if (channels === undefined) {
    if (data.length === n * 3) channels = 3;
    else if (data.length === n * 4) channels = 4;
    else {
      throw new InputError(
        `${what}: ${data.length} values do not make a ${width}x${height} image (RGB needs ${n * 3}, RGBA ${n * 4})`,
      );
    }
  }
  checkChannels(channels, what);
  if (data.length !== n * channels) {
    throw new InputError(`${what}: ${data.length} values do not make a ${width}x${height}x${channels} image (needs ${n * channels})`);
  }
  if (float) checkUnitFloats(data, what);
  return { data: toRgb(data, n, channels, float), width, height };
}

/** A browser image drawn onto a 2D canvas and read back as RGB bytes. */
export function drawableToPixels(img: DrawableImage, what: string): Pixels | undefined {
  const g = globalThis as Record<string, unknown>;
  const is = (name: string) => typeof g[name] === 'function' && img instanceof (g[name] as new () => object);
  const known = ['HTMLImageElement', 'HTMLCanvasElement', 'ImageBitmap', 'OffscreenCanvas', 'HTMLVideoElement', 'SVGImageElement'];
  if (!known.some(is)) return undefined;
  const el = img as unknown as HTMLImageElement & HTMLVideoElement;
  let width = img.width;
  let height = img.height;
  if (is('HTMLImageElement')) {
    if (!el.complete) throw new InputError(`${what}: the <img> has not finished loading (await img.decode() first)`);
    width = el.naturalWidth;
    height = el.naturalHeight;
  } else if (is('HTMLVideoElement')) {
    width = el.videoWidth;
    height = el.videoHeight;
  }
  checkSize(width, height, what);
  const canvas: HTMLCanvasElement | OffscreenCanvas =
    typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | null;
  if (!ctx) throw new InputError(`${what}: could not get a 2D canvas to read the pixels`);
  ctx.drawImage(img as CanvasImageSource, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return { data: toRgb(rgba, width * height, 4, false), width, height };
}

/** Host pixels of one HWC tensor: int32 is read as 0..255, float32 as [0, 1]. */
export function tensorToPixels(t: tf.Tensor, what: string): Pixels {
  const [height, width, channels] = t.shape as [number, number, number];
  checkSize(width, height, what);
  checkChannels(channels, what);
  const values = t.dataSync();
  if (t.dtype === 'int32') {
    checkBytes(values, what);
    return { data: toRgb(values, width * height, channels, false), width, height };
  }
  checkUnitFloats(values, what);
  return { data: toRgb(values, width * height, channels, true), width, height };
}

/** Rejects tensors of the wrong rank or dtype. */
export function checkTensor(t: tf.Tensor, what: string): void {
  if (t.rank !== 3 && t.rank !== 4) {
    throw new InputError(`${what}: an image tensor must be HWC or NHWC, got shape [${t.shape.join(', ')}]`);
  }
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new InputError(`${what}: an image tensor must be float32 (values in [0, 1]) or int32 (0..255), got ${t.dtype}`);
  }
  checkChannels(t.shape[t.rank - 1]!, what);
  checkSize(t.shape[t.rank - 2]!, t.shape[t.rank - 3]!, what);
  if (t.rank === 4 && t.shape[0] === 0) throw new InputError(`${what}: the batch holds no images (shape [${t.shape.join(', ')}])`);
}
