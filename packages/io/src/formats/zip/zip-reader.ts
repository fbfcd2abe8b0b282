import { FormatError } from '@titok/core';
import { inflateSync } from 'fflate';
import type { ByteSource } from '../../source/byte-source.js';
import { crc32 } from './crc32.js';

/** One file in a zip archive, as its central directory describes it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressedSize: number;
  /** Uncompressed size in bytes. */
  readonly size: number;
  readonly localHeaderOffset: number;
}

/** A zip archive opened for random access: the central directory is parsed, data is read on demand. */
export interface ZipArchive {
  readonly source: ByteSource;
  /** Entries by name, in central-directory order. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /**
   * Reads `length` bytes at `offset` of an entry's uncompressed data (default: all of it).
   * Stored entries read only that range; deflated ones are inflated whole. The CRC is checked
   * whenever the whole entry is read.
   */
  read(entry: ZipEntry, offset?: number, length?: number): Promise<Uint8Array>;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** Central directories above this are refused (a 2.6 GB checkpoint has about 100 KB). */
const MAX_CENTRAL_DIRECTORY = 256 * 1024 * 1024;
/** Deflate cannot expand more than 1032:1; a larger claimed ratio is a lie. */
const MAX_DEFLATE_RATIO = 1032;

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(view: DataView, at: number, file: string, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`zip: ${what} ${v} is too large`, { file });
  return Number(v);
}

async function findEndOfCentralDirectory(src: ByteSource): Promise<{ at: number; view: DataView }> {
  const file = src.name;
  const tailLength = Math.min(src.size, 22 + 0xffff);
  const tail = await src.read(src.size - tailLength, tailLength);
  const view = dv(tail);
  for (let i = tailLength - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD_SIG) {
      const commentLength = view.getUint16(i + 20, true);
      if (i + 22 + commentLength <= tailLength) {
        return { at: src.size - tailLength + i, view: new DataView(tail.buffer, tail.byteOffset + i, 22) };
      }
    }
  }
  throw new FormatError('zip: no end-of-central-directory record (the file is truncated or not a zip archive)', { file });
}

interface DirectoryLocation {
  entries: number;
  offset: number;
  size: number;
}

async function locateDirectory(src: ByteSource): Promise<DirectoryLocation> {
  const file = src.name;
  const { at, view } = await findEndOfCentralDirectory(src);
  if (view.getUint16(4, true) !== 0 || view.getUint16(6, true) !== 0) {
    throw new FormatError('zip: multi-disk archives are not supported', { file });
  }
  let entries = view.getUint16(10, true);
  let size = view.getUint32(12, true);
  let offset = view.getUint32(16, true);
  if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    if (at < 20) throw new FormatError('zip: zip64 locator missing', { file });
    const loc = dv(await src.read(at - 20, 20));
    if (loc.getUint32(0, true) !== ZIP64_LOCATOR_SIG) throw new FormatError('zip: zip64 locator missing', { file });
    const eocd64At = u64(loc, 8, file, 'zip64 end-of-central-directory offset');
    if (eocd64At + 56 > at) throw new FormatError('zip: zip64 end-of-central-directory offset is out of range', { file });
    const e = dv(await src.read(eocd64At, 56));
    if (e.getUint32(0, true) !== ZIP64_EOCD_SIG) throw new FormatError('zip: bad zip64 end-of-central-directory signature', { file });
    entries = u64(e, 32, file, 'entry count');
    size = u64(e, 40, file, 'central directory size');
    offset = u64(e, 48, file, 'central directory offset');
  }
  if (offset + size > src.size || size > MAX_CENTRAL_DIRECTORY) {
    throw new FormatError(`zip: the central directory (${size} bytes at offset ${offset}) does not fit in the file (${src.size} bytes)`, { file });
  }
  if (entries * 46 > size) throw new FormatError(`zip: ${entries} entries cannot fit in a ${size}-byte central directory`, { file });
  return { entries, offset, size };
}

function parseZip64Extra(extra: DataView, sizes: { size: number; compressedSize: number; localHeaderOffset: number }, file: string, name: string): void {
  let p = 0;
  while (p + 4 <= extra.byteLength) {
    const id = extra.getUint16(p, true);
    const len = extra.getUint16(p + 2, true);
    if (p + 4 + len > extra.byteLength) break;
    if (id === 0x0001) {
      let q = p + 4;
      const take = (what: string): number => {
        if (q + 8 > p + 4 + len) throw new FormatError(`zip: entry '${name}': zip64 extra field is too short for the ${what}`, { file });
        const v = u64(extra, q, file, what);
        q += 8;
        return v;
      };
      if (sizes.size === 0xffffffff) sizes.size = take('size');
      if (sizes.compressedSize === 0xffffffff) sizes.compressedSize = take('compressed size');
      if (sizes.localHeaderOffset === 0xffffffff) sizes.localHeaderOffset = take('local header offset');
      return;
    }
    p += 4 + len;
  }
  if (sizes.size === 0xffffffff || sizes.compressedSize === 0xffffffff || sizes.localHeaderOffset === 0xffffffff) {
    throw new FormatError(`zip: entry '${name}' needs a zip64 extra field but has none`, { file });
  }
}

function parseDirectory(bytes: Uint8Array, count: number, limit: number, file: string): Map<string, ZipEntry> {
  const view = dv(bytes);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL_SIG) {
      throw new FormatError(`zip: central directory entry ${i} is damaged`, { file });
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > bytes.length) throw new FormatError(`zip: central directory entry ${i} runs past the directory`, { file });
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    const sizes = { compressedSize: view.getUint32(p + 20, true), size: view.getUint32(p + 24, true), localHeaderOffset: view.getUint32(p + 42, true) };
    parseZip64Extra(new DataView(bytes.buffer, bytes.byteOffset + p + 46 + nameLength, extraLength), sizes, file, name);
    if (sizes.localHeaderOffset + 30 + sizes.compressedSize > limit) {
      throw new FormatError(`zip: entry '${name}' (${sizes.compressedSize} bytes at offset ${sizes.localHeaderOffset}) runs past the archive data`, { file });
    }
    if (entries.has(name)) throw new FormatError(`zip: the archive holds '${name}' twice`, { file });
    entries.set(name, { name, method, flags, crc, ...sizes });
    p = end;
  }
  return entries;
}

/**
 * Opens a zip archive: reads the end-of-central-directory record (zip64 included) and the
 * central directory, validating every offset and size against the file. Entry data is read
 * only when asked for.
 *
 * @throws FormatError for a truncated or damaged archive, encryption or multi-disk archives
 */
export async function openZip(src: ByteSource): Promise<ZipArchive> {
  const file = src.name;
  const loc = await locateDirectory(src);
  const entries = parseDirectory(await src.read(loc.offset, loc.size), loc.entries, loc.offset, file);
  const dataStarts = new Map<ZipEntry, number>();

  const dataStart = async (e: ZipEntry): Promise<number> => {
    const known = dataStarts.get(e);
    if (known !== undefined) return known;
    if (e.localHeaderOffset + 30 > loc.offset) throw new FormatError(`zip: entry '${e.name}': local header out of range`, { file });
    const h = dv(await src.read(e.localHeaderOffset, 30));
    if (h.getUint32(0, true) !== LOCAL_SIG) throw new FormatError(`zip: entry '${e.name}': bad local header signature`, { file });
    const start = e.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
    if (start + e.compressedSize > loc.offset) {
      throw new FormatError(`zip: entry '${e.name}': data (${e.compressedSize} bytes at offset ${start}) runs into the central directory`, { file });
    }
    dataStarts.set(e, start);
    return start;
  };

  const read = async (e: ZipEntry, offset = 0, length = e.size - offset): Promise<Uint8Array> => {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > e.size) {
      throw new FormatError(`zip: entry '${e.name}': wanted ${length} bytes at offset ${offset} of ${e.size}`, { file });
    }
    if (e.flags & 1) throw new FormatError(`zip: entry '${e.name}' is encrypted`, { file });
    const start = await dataStart(e);
    const whole = offset === 0 && length === e.size;
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw new FormatError(`zip: stored entry '${e.name}' has compressed size ${e.compressedSize} != size ${e.size}`, { file });
      out = await src.read(start + offset, length);
      if (!whole) return out;
    } else if (e.method === 8) {
      if (e.size > e.compressedSize * MAX_DEFLATE_RATIO + 1024) {
        throw new FormatError(`zip: entry '${e.name}' claims ${e.size} bytes from ${e.compressedSize} compressed bytes, more than deflate can expand`, { file });
      }
      const packed = await src.read(start, e.compressedSize);
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(packed, { out: new Uint8Array(e.size + 1) });
      } catch (err) {
        throw new FormatError(`zip: entry '${e.name}': corrupt deflate data (${(err as Error).message})`, { file });
      }
      if (inflated.length !== e.size) {
        throw new FormatError(`zip: entry '${e.name}' inflates to ${inflated.length === e.size + 1 ? 'more than' : inflated.length} bytes, the directory says ${e.size}`, { file });
      }
      if (crc32(inflated) !== e.crc) throw new FormatError(`zip: entry '${e.name}': CRC mismatch (the data is damaged)`, { file });
      return inflated.subarray(offset, offset + length);
    } else {
      throw new FormatError(`zip: entry '${e.name}' uses compression method ${e.method} (only stored and deflate are supported)`, { file });
    }
    if (crc32(out) !== e.crc) throw new FormatError(`zip: entry '${e.name}': CRC mismatch (the data is damaged)`, { file });
    return out;
  };

  return { source: src, entries, read };
}
