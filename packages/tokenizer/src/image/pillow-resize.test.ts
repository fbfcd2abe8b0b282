import * as path from 'node:path';
import sharp from 'sharp';
import { FIXTURES, loadExpected } from '../../../../test/helpers/fixtures.js';
import { axisWeights, resizeBicubic } from './pillow-resize.js';

const PICTURES = ['chelsea', 'coffee'];

async function readPng(name: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path.join(FIXTURES, 'images', `${name}_256.png`))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Batch element n of an NCHW float tensor as interleaved HWC bytes (x255, exact for k/255 values). */
function nchwToHwcBytes(data: ArrayLike<number>, n: number, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = data[(n * 3 + c) * plane + i]! * 255;
      const r = Math.round(v);
      // the fixture inputs are float32(k / 255): anything else is not a Pillow uint8 image
      expect(Math.abs(v - r)).toBeLessThan(1e-3);
      out[i * 3 + c] = r;
    }
  }
  return out;
}

describe('resizeBicubic (Pillow BICUBIC)', () => {
  it.each([
    ['titok_tiny_vq_legacy', 64],
    ['titok_tiny_vq_pixel', 32],
  ])('reproduces the fixture inputs of %s (Pillow resize 256 -> %i) byte for byte', async (model, size) => {
    const expected = (await loadExpected(model)).get('inputs.images')!;
    expect(expected.shape).toEqual([2, 3, size, size]);
    for (const [n, name] of PICTURES.entries()) {
      const png = await readPng(name);
      const ours = resizeBicubic(png.data, png.width, png.height, 3, size, size);
      const theirs = nchwToHwcBytes(expected.data, n, size);
      let differing = 0;
      for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++;
      expect(differing).toBe(0);
    }
  });

  it('has weights that sum to one and widen with the downscale factor', () => {
    const a = axisWeights(256, 64);
    expect(a.ksize).toBe(17);
    for (let i = 0; i < 64; i++) {
      let s = 0;
      for (let x = 0; x < a.count[i]!; x++) s += a.weights[i * a.ksize + x]!;
      expect(s).toBeCloseTo(1, 12);
    }
    expect(axisWeights(32, 64).ksize).toBe(5);
  });

  it('filters only the axis that changes and keeps a same-size image as is', () => {
    const src = new Uint8Array(4 * 3 * 3).map((_, i) => (i * 37) % 256);
    expect(Array.from(resizeBicubic(src, 4, 3, 3, 4, 3))).toEqual(Array.from(src));
    // width 4 -> 2 only: every row is filtered on its own, so a constant row stays constant
    const rows = new Uint8Array(4 * 2 * 3);
    rows.fill(10, 0, 12);
    rows.fill(200, 12, 24);
    const out = resizeBicubic(rows, 4, 2, 3, 2, 2);
    expect(Array.from(out)).toEqual([10, 10, 10, 10, 10, 10, 200, 200, 200, 200, 200, 200]);
  });

  it('computes float images with the same weights, without fixed-point rounding', async () => {
    const png = await readPng('coffee');
    const f = Float32Array.from(png.data, (v) => v / 255);
    const ours8 = resizeBicubic(png.data, 256, 256, 3, 48, 48);
    const oursF = resizeBicubic(f, 256, 256, 3, 48, 48);
    let worst = 0;
    for (let i = 0; i < ours8.length; i++) {
      const clipped = Math.min(255, Math.max(0, oursF[i]! * 255));
      worst = Math.max(worst, Math.abs(clipped - ours8[i]!));
    }
    // the 8-bit path rounds after each pass and clips the intermediate; the float path does not
    expect(worst).toBeLessThan(2);
    expect(worst).toBeGreaterThan(0);
  });
});
