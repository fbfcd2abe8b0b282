import { FormatError } from '@titok/core';
import { zipSync, strToU8 } from 'fflate';
import { bytesSource } from '../../source/byte-source.js';
import { openZip } from './zip-reader.js';
import { ZipWriter } from './zip-writer.js';
import { crc32 } from './crc32.js';

async function written(files: Record<string, Uint8Array>, options: { zip64?: boolean } = {}): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const w = new ZipWriter({ write: (c) => void chunks.push(c.slice()) }, options);
  for (const [n, d] of Object.entries(files)) await w.add(n, d);
  await w.finish();
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let p = 0;
  for (const c of chunks) out.set(c, (p += c.length) - c.length);
  return out;
}

const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(strToU8('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('openZip', () => {
  it('reads stored and deflated entries that fflate writes, with folders', async () => {
    const zip = zipSync({ 'a/x.bin': [payload, { level: 0 }], 'a/y.txt': [strToU8('hello '.repeat(100)), { level: 9 }] });
    const z = await openZip(bytesSource(zip, 'f.zip'));
    expect([...z.entries.keys()]).toEqual(['a/x.bin', 'a/y.txt']);
    expect(z.entries.get('a/y.txt')!.method).toBe(8);
    expect(await z.read(z.entries.get('a/x.bin')!)).toEqual(payload);
    expect(new TextDecoder().decode(await z.read(z.entries.get('a/y.txt')!, 6, 5))).toBe('hello');
    expect(await z.read(z.entries.get('a/x.bin')!, 100, 10)).toEqual(payload.subarray(100, 110));
  });

  it.each([false, true])('reads what ZipWriter writes (zip64: %s), data aligned to 64 bytes', async (zip64) => {
    const bytes = await written({ 'p/data.pkl': strToU8('pkl'), 'p/data/0': payload }, { zip64 });
    const z = await openZip(bytesSource(bytes, 'w.zip'));
    expect(await z.read(z.entries.get('p/data/0')!)).toEqual(payload);
    const start = bytes.indexOf(payload[1]!, 0);
    expect(start).toBeGreaterThan(0);
    const at = Buffer.from(bytes).indexOf(Buffer.from(payload.subarray(0, 32)));
    expect(at % 64).toBe(0);
  });

  it('detects damaged stored data through the CRC when a whole entry is read', async () => {
    const bytes = await written({ 'p/data/0': payload });
    const at = Buffer.from(bytes).indexOf(Buffer.from(payload.subarray(0, 32)));
    bytes[at + 10]! ^= 1;
    const z = await openZip(bytesSource(bytes, 'c.zip'));
    await expect(z.read(z.entries.get('p/data/0')!)).rejects.toThrow(/c\.zip: zip: entry 'p\/data\/0': CRC mismatch/);
  });

  it.each([
    ['a file cut in half', (b: Uint8Array) => b.subarray(0, b.length >> 1), /no end-of-central-directory/],
    ['an empty file', () => new Uint8Array(0), /no end-of-central-directory/],
    [
      'a central directory offset past the end',
      (b: Uint8Array) => {
        const c = b.slice();
        new DataView(c.buffer).setUint32(c.length - 6, 0x7fffffff, true);
        return c;
      },
      /does not fit in the file/,
    ],
    [
      'an entry count the directory cannot hold',
      (b: Uint8Array) => {
        const c = b.slice();
        new DataView(c.buffer).setUint16(c.length - 12, 0xfff0, true);
        new DataView(c.buffer).setUint16(c.length - 14, 0xfff0, true);
        return c;
      },
      /entries cannot fit/,
    ],
  ])('refuses %s', async (_, damage, why) => {
    const bytes = damage(await written({ 'p/data/0': payload }));
    const err = await openZip(bytesSource(bytes, 'd.zip')).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(why);
  });

  it('refuses a deflated entry that claims more than deflate can expand, before inflating', async () => {
    const zip = zipSync({ 'x.bin': [payload, { level: 9 }] }).slice();
    const v = new DataView(zip.buffer);
    const cd = v.getUint32(zip.length - 6, true);
    v.setUint32(cd + 24, 0xfffffff0, true); // central directory: uncompressed size
    const z = await openZip(bytesSource(zip, 'bomb.zip'));
    await expect(z.read(z.entries.get('x.bin')!)).rejects.toThrow(/more than deflate can expand/);
  });

  it('refuses a deflated entry whose size differs from the directory', async () => {
    const zip = zipSync({ 'x.bin': [payload, { level: 9 }] }).slice();
    const v = new DataView(zip.buffer);
    const cd = v.getUint32(zip.length - 6, true);
    v.setUint32(cd + 24, payload.length - 1, true);
    const z = await openZip(bytesSource(zip, 's.zip'));
    await expect(z.read(z.entries.get('x.bin')!)).rejects.toThrow(/inflates to more than/);
  });
});
