import type { ByteSink } from '../safetensors-writer.js';
import { crc32 } from './crc32.js';

interface Written {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
}

/**
 * Writes a zip archive of stored (uncompressed) entries to a sink, the way PyTorch does:
 * data aligned to `align` bytes with a padding extra field, zip64 records when an entry or
 * offset passes 4 GB (or always, with `zip64: true`), then the central directory.
 */
export class ZipWriter {
  private readonly entries: Written[] = [];
  private offset = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly options: { zip64?: boolean; align?: number } = {},
  ) {}

  private async put(b: Uint8Array): Promise<void> {
    if (b.byteLength) await this.sink.write(b);
    this.offset += b.byteLength;
  }

  /** Adds one stored entry. */
  async add(name: string, data: Uint8Array): Promise<void> {
    const nameBytes = new TextEncoder().encode(name);
    const big = this.options.zip64 || data.byteLength >= 0xffffffff || this.offset >= 0xffffffff;
    const zip64Extra = big ? 20 : 0;
    const align = this.options.align ?? 64;
    const base = this.offset + 30 + nameBytes.length + zip64Extra;
    const pad = (align - ((base + 4) % align)) % align;
    const header = new Uint8Array(30 + nameBytes.length + zip64Extra + 4 + pad);
    const v = new DataView(header.buffer);
    const crc = crc32(data);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, big ? 45 : 20, true);
    v.setUint16(6, 0x0800, true);
    v.setUint16(8, 0, true);
    v.setUint32(14, crc, true);
    v.setUint32(18, big ? 0xffffffff : data.byteLength, true);
    v.setUint32(22, big ? 0xffffffff : data.byteLength, true);
    v.setUint16(26, nameBytes.length, true);
    v.setUint16(28, zip64Extra + 4 + pad, true);
    header.set(nameBytes, 30);
    let p = 30 + nameBytes.length;
    if (big) {
      v.setUint16(p, 0x0001, true);
      v.setUint16(p + 2, 16, true);
      v.setBigUint64(p + 4, BigInt(data.byteLength), true);
      v.setBigUint64(p + 12, BigInt(data.byteLength), true);
      p += 20;
    }
    v.setUint16(p, 0x4246, true); // 'FB' padding, as PyTorch writes
    v.setUint16(p + 2, pad, true);
    this.entries.push({ name: nameBytes, crc, size: data.byteLength, offset: this.offset });
    await this.put(header);
    await this.put(data);
  }

  /** Writes the central directory; returns the archive's total size. */
  async finish(): Promise<number> {
    const cdStart = this.offset;
    for (const e of this.entries) {
      const big = this.options.zip64 || e.size >= 0xffffffff || e.offset >= 0xffffffff;
      const extra = big ? 28 : 0;
      const h = new Uint8Array(46 + e.name.length + extra);
      const v = new DataView(h.buffer);
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(4, big ? 45 : 20, true);
      v.setUint16(6, big ? 45 : 20, true);
      v.setUint16(8, 0x0800, true);
      v.setUint32(16, e.crc, true);
      v.setUint32(20, big ? 0xffffffff : e.size, true);
      v.setUint32(24, big ? 0xffffffff : e.size, true);
      v.setUint16(28, e.name.length, true);
      v.setUint16(30, extra, true);
      v.setUint32(42, big ? 0xffffffff : e.offset, true);
      h.set(e.name, 46);
      if (big) {
        const p = 46 + e.name.length;
        v.setUint16(p, 0x0001, true);
        v.setUint16(p + 2, 24, true);
        v.setBigUint64(p + 4, BigInt(e.size), true);
        v.setBigUint64(p + 12, BigInt(e.size), true);
        v.setBigUint64(p + 20, BigInt(e.offset), true);
      }
      await this.put(h);
    }
    const cdSize = this.offset - cdStart;
    const n = this.entries.length;
    const big = this.options.zip64 || cdStart >= 0xffffffff || n >= 0xffff;
    if (big) {
      const z = new Uint8Array(56 + 20);
      const v = new DataView(z.buffer);
      const at = this.offset;
      v.setUint32(0, 0x06064b50, true);
      v.setBigUint64(4, 44n, true);
      v.setUint16(12, 45, true);
      v.setUint16(14, 45, true);
      v.setBigUint64(24, BigInt(n), true);
      v.setBigUint64(32, BigInt(n), true);
      v.setBigUint64(40, BigInt(cdSize), true);
      v.setBigUint64(48, BigInt(cdStart), true);
      v.setUint32(56, 0x07064b50, true);
      v.setBigUint64(64, BigInt(at), true);
      v.setUint32(72, 1, true);
      await this.put(z);
    }
    const e = new Uint8Array(22);
    const v = new DataView(e.buffer);
    v.setUint32(0, 0x06054b50, true);
    v.setUint16(8, big ? 0xffff : n, true);
    v.setUint16(10, big ? 0xffff : n, true);
    v.setUint32(12, big ? 0xffffffff : cdSize, true);
    v.setUint32(16, big ? 0xffffffff : cdStart, true);
    await this.put(e);
    return this.offset;
  }
}
