import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FormatError, InputError } from '@titok/core';
import { FASHION_MNIST_CLASSES, labelledImages } from './fashion-mnist.js';
import { parseIdx } from './idx.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist, readIdxFile } from './node-datasets.js';

/** An IDX file: magic, big-endian dims, data. */
function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  head.set([0, 0, type, shape.length]);
  const v = new DataView(head.buffer);
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe('parseIdx', () => {
  it('reads uint8 images and big-endian int32 / float32 arrays', () => {
    const imgs = parseIdx(idx(0x08, [2, 2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])));
    expect(imgs.dtype).toBe('uint8');
    expect(imgs.shape).toEqual([2, 2, 3]);
    expect(Array.from(imgs.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const ints = new Uint8Array(8);
    new DataView(ints.buffer).setInt32(0, -5, false);
    new DataView(ints.buffer).setInt32(4, 70000, false);
    expect(Array.from(parseIdx(idx(0x0c, [2], ints)).data)).toEqual([-5, 70000]);
    const floats = new Uint8Array(4);
    new DataView(floats.buffer).setFloat32(0, 1.5, false);
    expect(Array.from(parseIdx(idx(0x0d, [1], floats)).data)).toEqual([1.5]);
  });

  it.each([
    ['a bad magic number', Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 9]), /magic number/],
    ['an unknown type', Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 1, 9]), /unknown element type 0x42/],
    ['a truncated body', idx(0x08, [2, 3], Uint8Array.from([1, 2, 3])), /needs 18 bytes, the file has 15/],
    ['a truncated header', Uint8Array.from([0, 0, 8, 3, 0, 0]), /too short for 3 dimensions/],
    ['gzip data', gzipSync(idx(0x08, [1], Uint8Array.from([1]))), /gzip-compressed/],
  ])('refuses %s with a one-line FormatError naming the file', (_what, bytes, message) => {
    let err: unknown;
    try {
      parseIdx(bytes, 'x-idx3-ubyte');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/^x-idx3-ubyte: /);
    expect((err as Error).message).not.toMatch(/\n/);
  });
});

describe('labelledImages', () => {
  it('pads images with black borders and keeps the labels', () => {
    const images = parseIdx(idx(0x08, [2, 1, 2], Uint8Array.from([1, 2, 3, 4])));
    const labels = parseIdx(idx(0x08, [2], Uint8Array.from([7, 9])));
    const d = labelledImages(images, labels, { pad: 1 });
    expect([d.count, d.height, d.width]).toEqual([2, 3, 4]);
    expect(Array.from(d.pixels.subarray(0, 12))).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0]);
    expect(Array.from(d.pixels.subarray(12))).toEqual([0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    expect(Array.from(d.labels)).toEqual([7, 9]);
  });

  it('refuses labels that do not match the images', () => {
    const images = parseIdx(idx(0x08, [2, 1, 1], Uint8Array.from([1, 2])));
    expect(() => labelledImages(images, parseIdx(idx(0x08, [3], Uint8Array.from([1, 2, 3]))))).toThrow(/2 images but 3 labels/);
  });
});

describe('readIdxFile / loadFashionMnist', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads gzip and plain files alike, and says when gzip data is damaged', async () => {
    const raw = idx(0x08, [3], Uint8Array.from([4, 5, 6]));
    fs.writeFileSync(path.join(dir, 'a.gz'), gzipSync(raw));
    fs.writeFileSync(path.join(dir, 'a'), raw);
    expect(Array.from((await readIdxFile(path.join(dir, 'a.gz'))).data)).toEqual([4, 5, 6]);
    expect(Array.from((await readIdxFile(path.join(dir, 'a'))).data)).toEqual([4, 5, 6]);
    const bad = gzipSync(raw).subarray(0, 12);
    fs.writeFileSync(path.join(dir, 'bad.gz'), bad);
    await expect(readIdxFile(path.join(dir, 'bad.gz'))).rejects.toThrow(/damaged gzip data/);
    await expect(readIdxFile(path.join(dir, 'missing.gz'))).rejects.toBeInstanceOf(InputError);
  });

  it('loads a split from a folder, padded to 32x32, and names the package when it is missing', async () => {
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [2, 28, 28], new Uint8Array(2 * 784).fill(200))));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [2], Uint8Array.from([7, 0])));
    const test = await loadFashionMnist('test', { dir });
    expect([test.count, test.height, test.width]).toEqual([2, 32, 32]);
    expect(test.pixels[0]).toBe(0);
    expect(test.pixels[2 * 32 + 2]).toBe(200);
    expect(FASHION_MNIST_CLASSES[test.labels[0]!]).toBe('sneaker');
    await expect(loadFashionMnist('train', { dir })).rejects.toThrow(/apt-get install dataset-fashion-mnist/);
  });

  it(`reads the Debian package in ${DEBIAN_FASHION_MNIST_DIR}: 10,000 test images of 10 classes`, async () => {
    const test = await loadFashionMnist('test');
    expect(test.count).toBe(10000);
    const counts = new Array(10).fill(0);
    for (const y of test.labels) counts[y]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });
});
