import { oneLine } from './one-line.js';
import { FormatError, dtypeSize, isDType, numel } from '@titok/core';
import type { DType, StateDict, StateDictTensor } from '@titok/core';
import { toByteSource } from '../source/byte-source.js';
import type { ByteInput } from '../source/byte-source.js';

/** The safetensors reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

interface HeaderEntry {
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(text: string, file: string, dataSize: number): { entries: Map<string, HeaderEntry>; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`the safetensors header is not valid JSON (${oneLine((e as Error).message, 200)})`, { file });
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new FormatError('the safetensors header must be a JSON object', { file });
  }
  const metadata: Record<string, string> = {};
  const entries = new Map<string, HeaderEntry>();
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new FormatError('__metadata__ must be an object of strings', { file });
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new FormatError(`__metadata__.${k} must be a string`, { file });
        metadata[k] = v;
      }
      continue;
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') throw new FormatError(`tensor '${name}': entry must be an object`, { file });
    if (!isDType(e.dtype)) throw new FormatError(`tensor '${name}': unknown dtype ${JSON.stringify(e.dtype)}`, { file });
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new FormatError(`tensor '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(e.shape)}`, { file });
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new FormatError(`tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`, { file });
    }
    const [begin, end] = off as [number, number];
    if (end > dataSize) {
      throw new FormatError(`tensor '${name}': data_offsets [${begin}, ${end}] run past the end of the data section (${dataSize} bytes)`, { file });
    }
    const expected = numel(e.shape) * dtypeSize(e.dtype);
    if (end - begin !== expected) {
      throw new FormatError(
        `tensor '${name}': shape [${e.shape.join(', ')}] of ${e.dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
        { file },
      );
    }
    entries.set(name, { dtype: e.dtype, shape: e.shape, begin, end });
  }
  const sorted = [...entries.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  for (let i = 1; i < sorted.length; i++) {
    const [prevName, prev] = sorted[i - 1]!;
    const [name, cur] = sorted[i]!;
    if (cur.begin < prev.end && cur.end > cur.begin) {
      throw new FormatError(`tensors '${prevName}' and '${name}' have overlapping data_offsets`, { file });
    }
  }
  return { entries, metadata };
}

/**
 * Reads a safetensors file: validates the whole header (length within the file, JSON,
 * known dtypes, offsets inside the data section and not overlapping, byte counts matching the
 * shapes) before any tensor is read. Tensor data is read lazily.
 *
 * @throws FormatError naming the file and the problem
 */
export async function readSafetensors(input: ByteInput, name?: string): Promise<StateDict> {
  const source = toByteSource(input, name);
  const file = source.name;
  if (source.size < 8) {
    throw new FormatError(`${source.size} bytes is too short for a safetensors file (it needs an 8-byte header length)`, { file });
  }
  const lenBytes = await source.read(0, 8);
  const headerLength = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(source.size - 8)) {
    throw new FormatError(`the header length ${headerLength} is larger than the file (${source.size} bytes)`, { file });
  }
  if (headerLength > BigInt(MAX_HEADER)) {
    throw new FormatError(`the header length ${headerLength} exceeds the 100 MB limit`, { file });
  }
  const n = Number(headerLength);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(await source.read(8, n));
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(text, file, source.size - dataStart);

  const tensors = new Map<string, StateDictTensor>();
  for (const [key, e] of entries) {
    tensors.set(key, {
      name: key,
      dtype: e.dtype,
      shape: e.shape,
      byteLength: e.end - e.begin,
      read: () => source.read(dataStart + e.begin, e.end - e.begin),
    });
  }
  return { format: 'safetensors', source: file, tensors, metadata, close: () => source.close() };
}
