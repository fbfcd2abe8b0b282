import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { InputError, selectBackend } from '@titok/core';
import { FIXTURES, loadExpected } from '../../../../test/helpers/fixtures.js';
import { resizeBicubic } from './pillow-resize.js';
import { fitGeometry, prepareImages, toRawImages, toUint8Images } from './prepare-images.js';

async function readPng(name: string, channels: 3 | 4 = 3): Promise<{ data: Uint8Array; width: number; height: number }> {
  let s = sharp(path.join(FIXTURES, 'images', `${name}_256.png`));
  s = channels === 3 ? s.removeAlpha() : s.ensureAlpha();
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** NCHW fixture tensor to NHWC order. */
function nchwToNhwc(data: ArrayLike<number>, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(n! * c! * h! * w!);
  for (let b = 0; b < n!; b++)
    for (let ch = 0; ch < c!; ch++)
      for (let i = 0; i < h! * w!; i++) out[(b * h! * w! + i) * c! + ch] = data[(b * c! + ch) * h! * w! + i]!;
  return out;
}

function countDifferences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

describe('prepareImages', () => {
  it.each([
    ['titok_tiny_vq_legacy', 64],
    ['titok_tiny_vq_pixel', 32],
  ])('gives exactly the fixture inputs of %s from the 256x256 PNGs, whatever the input kind', async (model, size) => {
    const expected = (await loadExpected(model)).get('inputs.images')!;
    const want = nchwToNhwc(expected.data, expected.shape);
    const [chelsea, coffee] = [await readPng('chelsea'), await readPng('coffee')];
    const rgba = await readPng('coffee', 4);
    const before = tf.memory().numTensors;

    const fromRaw = prepareImages([chelsea, coffee], { size });
    expect(fromRaw.shape).toEqual([2, size, size, 3]);
    expect(fromRaw.dtype).toBe('float32');
    expect(countDifferences(fromRaw.dataSync(), want)).toBe(0);

    const hwc = [chelsea, rgba].map((p, i) => tf.tensor3d(p.data, [256, 256, i === 0 ? 3 : 4], 'int32'));
    const fromTensors = prepareImages(hwc, { size });
    expect(countDifferences(fromTensors.dataSync(), want)).toBe(0);
    const nhwc = tf.tidy(() => tf.stack(hwc.map((t) => tf.slice(t, [0, 0, 0], [256, 256, 3])))) as tf.Tensor4D;
    const fromBatch = prepareImages(nhwc, { size });
    expect(countDifferences(fromBatch.dataSync(), want)).toBe(0);

    tf.dispose([fromRaw, fromTensors, fromBatch, nhwc, ...hwc]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes an image of the target size through untouched (no resampling)', async () => {
    const values = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => ((i * 7919) % 1000) / 999);
    values[5] = 1.25; // not clamped either: untouched means untouched
    const t = tf.tensor3d(values, [8, 8, 3]);
    const out = prepareImages(t, { size: 8 });
    expect(countDifferences(out.dataSync(), values)).toBe(0);
    const bytes = Uint8Array.from({ length: 8 * 8 * 4 }, (_, i) => (i * 31) % 256);
    const fromBytes = prepareImages({ data: bytes, width: 8, height: 8 }, { size: 8 });
    const expected = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => bytes[Math.floor(i / 3) * 4 + (i % 3)]! / 255);
    expect(countDifferences(fromBytes.dataSync(), expected)).toBe(0);
    tf.dispose([t, out, fromBytes]);
  });

  it('resizes the shorter side and cuts out the centre, like the reference', () => {
    expect(fitGeometry(300, 200, 64)).toEqual({ width: 96, height: 64, left: 16, top: 0 });
    expect(fitGeometry(200, 301, 64)).toEqual({ width: 64, height: 96, left: 0, top: 16 });
    // Python's round(): 2.5 -> 2, 3.5 -> 4
    expect(fitGeometry(250, 100, 1).width).toBe(2);
    expect(fitGeometry(350, 100, 1).width).toBe(4);

    const w = 300;
    const h = 200;
    const data = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 13 + (i >> 7)) % 256);
    const out = prepareImages({ data, width: w, height: h, channels: 3 }, { size: 64 });
    const resized = resizeBicubic(data, w, h, 3, 96, 64);
    const crop = new Float32Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64 * 3; x++) crop[y * 64 * 3 + x] = resized[y * 96 * 3 + 16 * 3 + x]! / 255;
    expect(countDifferences(out.dataSync(), crop)).toBe(0);
    // only cropping, no resampling, when the shorter side already fits
    const tall = prepareImages({ data: data.subarray(0, 64 * 80 * 3), width: 64, height: 80 }, { size: 64 });
    const rows = Float32Array.from(data.subarray(8 * 64 * 3, 72 * 64 * 3), (v) => v / 255);
    expect(countDifferences(tall.dataSync(), rows)).toBe(0);
    tf.dispose([out, tall]);
  });

  it('resamples float images and keeps them in [0, 1]', () => {
    const f = Float32Array.from({ length: 40 * 40 * 3 }, (_, i) => (i % 2 === 0 ? 0 : 1));
    const out = prepareImages({ data: f, width: 40, height: 40 }, { size: 16 });
    const v = out.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    out.dispose();
  });

  it('refuses bad images with an InputError naming the problem', () => {
    const bad: Array<[unknown, RegExp]> = [
      [tf.zeros([8, 8, 2]), /^image has 2 channels; expected 3 \(RGB\) or 4 \(RGBA\)$/],
      [{ data: new Uint8Array(8 * 8), width: 8, height: 8, channels: 1 }, /^image has 1 channel; expected 3/],
      [{ data: new Uint8Array(0), width: 0, height: 8 }, /^image is empty \(0x8 pixels\)$/],
      [tf.zeros([0, 8, 3]), /^image is empty \(8x0 pixels\)$/],
      [{ data: new Uint8Array(100), width: 8, height: 8 }, /^image: 100 values do not make a 8x8 image \(RGB needs 192, RGBA 256\)$/],
      [{ data: new Uint8Array(192), width: 8, height: 8, channels: 4 }, /192 values do not make a 8x8x4 image \(needs 256\)/],
      [{ data: new Float32Array(192).fill(200), width: 8, height: 8 }, /float pixel values must lie in \[0, 1\], found 200/],
      [tf.fill([8, 8, 3], 300, 'int32'), /integer pixel values must lie in 0\.\.255, found 300/],
      [tf.zeros([8, 8, 3], 'bool'), /must be float32 \(values in \[0, 1\]\) or int32 \(0\.\.255\), got bool/],
      [tf.zeros([8, 3]), /must be HWC or NHWC, got shape \[8, 3\]/],
      ['cat.png', /cannot read string as an image/],
      [[], /^no images given/],
    ];
    for (const [input, message] of bad) {
      let error: unknown;
      try {
        prepareImages(input as never, { size: 8 }).dispose();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      if (input instanceof tf.Tensor) input.dispose();
    }
    expect(() => prepareImages(tf.zeros([4, 4, 3]), { size: 0 })).toThrow('image size must be a positive whole number, got 0');
    const two = [tf.zeros([8, 8, 3]), tf.zeros([8, 8, 5])];
    expect(() => prepareImages(two, { size: 8 })).toThrow(/^image 1 has 5 channels/);
    tf.dispose(two);
  });

  it('leaves no tensors behind', () => {
    const img = { data: new Uint8Array(20 * 12 * 4).fill(9), width: 20, height: 12 };
    const t = tf.ones([2, 10, 10, 3]);
    prepareImages([img, t], { size: 8 }).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) prepareImages([img, t, tf.tensor3d(new Float32Array(8 * 8 * 3), [8, 8, 3])], { size: 8 }).dispose();
    expect(tf.memory().numTensors).toBe(before + 3); // only the three tensors made in the loop's arguments
    t.dispose();
  });
});

describe('toUint8Images', () => {
  it('clamps, scales by 255 and truncates like the reference demo', async () => {
    const x = tf.tensor4d([-0.1, 0, 0.5, 0.99999, 1, 1.2], [1, 1, 2, 3]);
    const u = toUint8Images(x);
    expect(u.dtype).toBe('int32');
    expect(Array.from(await u.data())).toEqual([0, 0, 127, 254, 255, 255]);
    const raw = await toRawImages(x);
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({ width: 2, height: 1, channels: 3 });
    expect(Array.from(raw[0]!.data)).toEqual([0, 0, 127, 254, 255, 255]);
    tf.dispose([x, u]);
  });
});
