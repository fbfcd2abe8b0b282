import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { InputError } from '@titok/core';
import { checkWritable, formatFor, outputPaths, readImage, writeImage } from './image-io.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-image-io-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const W = 5;
const H = 3;
const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 37 + 11) % 256);

describe('readImage', () => {
  it('reads PNG and RGBA (alpha dropped, colours untouched) exactly', async () => {
    await sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, 'a.png'));
    const a = await readImage('a.png', dir);
    expect([a.width, a.height, a.channels]).toEqual([W, H, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(rgb));

    const rgba = new Uint8Array(W * H * 4);
    for (let p = 0; p < W * H; p++) rgba.set([rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!, p % 2 ? 0 : 128], p * 4);
    await sharp(Buffer.from(rgba), { raw: { width: W, height: H, channels: 4 } }).png().toFile(path.join(dir, 'rgba.png'));
    expect(Array.from((await readImage(path.join(dir, 'rgba.png'))).data)).toEqual(Array.from(rgb));
  });

  it('replicates greyscale to RGB and brings 16-bit images to 8 bits', async () => {
    const grey = Uint8Array.from({ length: W * H }, (_, i) => i * 17);
    await sharp(Buffer.from(grey), { raw: { width: W, height: H, channels: 1 } }).png().toFile(path.join(dir, 'grey.png'));
    const g = await readImage(path.join(dir, 'grey.png'));
    expect(Array.from(g.data)).toEqual(Array.from(grey).flatMap((v) => [v, v, v]));

    const deep = Uint16Array.from(rgb, (v) => v * 257);
    await sharp(deep, { raw: { width: W, height: H, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(path.join(dir, 'deep.png'));
    expect((await sharp(path.join(dir, 'deep.png')).metadata()).depth).toBe('ushort');
    expect(Array.from((await readImage(path.join(dir, 'deep.png'))).data)).toEqual(Array.from(rgb));
  });

  it('converts an image with an embedded ICC profile (Display P3) to sRGB', async () => {
    const file = path.join(dir, 'p3.png');
    await sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } }).withIccProfile('p3').png().toFile(file);
    const stored = await sharp(file).keepIccProfile().raw().toBuffer();
    const read = (await readImage(file)).data;
    const worst = (a: ArrayLike<number>) => Math.max(...Array.from(rgb, (v, i) => Math.abs(a[i]! - v)));
    expect(worst(stored)).toBeGreaterThan(20); // the file holds P3 values
    expect(worst(read)).toBeLessThanOrEqual(2); // read back as sRGB
  });

  it('applies the EXIF orientation', async () => {
    await sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toFile(path.join(dir, 'rotated.jpg'));
    const r = await readImage(path.join(dir, 'rotated.jpg'));
    expect([r.width, r.height]).toEqual([H, W]);
  });

  it('names the file in a one-line InputError', async () => {
    await expect(readImage('missing.png', dir)).rejects.toThrow(new InputError('missing.png: no such file'));
    fs.writeFileSync(path.join(dir, 'text.png'), 'not a picture');
    await expect(readImage('text.png', dir)).rejects.toThrow(/^text\.png: not an image file sharp can read/);
    await expect(readImage('.', dir)).rejects.toThrow('.: is a directory, not an image');
  });
});

describe('writeImage', () => {
  it('writes by extension, losslessly for PNG, and never overwrites without force', async () => {
    const file = path.join(dir, 'out.png');
    await writeImage(file, { data: rgb, width: W, height: H });
    expect(Array.from((await readImage(file)).data)).toEqual(Array.from(rgb));
    await expect(writeImage(file, { data: rgb, width: W, height: H })).rejects.toThrow(`${file} already exists (add --force to overwrite it)`);
    await expect(checkWritable([file], false)).rejects.toThrow(InputError);
    await checkWritable([file], true);
    await writeImage(file, { data: rgb.map((v) => 255 - v), width: W, height: H }, { force: true });
    expect((await readImage(file)).data[0]).toBe(255 - rgb[0]!);

    await writeImage(path.join(dir, 'out.jpg'), { data: rgb, width: W, height: H });
    expect((await sharp(path.join(dir, 'out.jpg')).metadata()).format).toBe('jpeg');
    expect(formatFor('x.WEBP')).toBe('webp');
    expect(() => formatFor('x.bmp')).toThrow("x.bmp: cannot tell the image type from '.bmp' (use .png, .jpg, .jpeg, .webp, .avif, .tif, .tiff, .gif)");
    expect(outputPaths('a/b.png', 1)).toEqual(['a/b.png']);
    expect(outputPaths('a/b.png', 2)).toEqual(['a/b-0.png', 'a/b-1.png']);
  });
});
