import { FormatError, dtypeSize, numel } from '@titok/core';
import type { DType, StateDict } from '@titok/core';

/** A tensor in memory: contiguous little-endian bytes of `dtype`. */
export interface TensorData {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** Where a streaming writer puts its bytes, in order. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

interface Item {
  name: string;
  dtype: DType;
  shape: readonly number[];
  byteLength: number;
  bytes: () => Promise<Uint8Array>;
}

function items(input: StateDict | readonly TensorData[]): Item[] {
  if (Array.isArray(input)) {
    return (input as readonly TensorData[]).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength, bytes: async () => t.data }));
  }
  return [...(input as StateDict).tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.byteLength, bytes: () => t.read() }));
}

/**
 * Writes tensors as a safetensors file to a sink, one tensor at a time (a state dict is read
 * lazily, so a 2.6 GB checkpoint streams through with one tensor in memory). Like the reference
 * writer, tensors are ordered by element size (largest first) then by name, and the JSON header
 * is padded with spaces to a multiple of 8 bytes.
 *
 * @returns the number of bytes written
 * @throws FormatError when a tensor's byte count does not match its dtype and shape, or a name repeats
 */
export async function writeSafetensors(
  input: StateDict | readonly TensorData[],
  sink: ByteSink,
  options: { metadata?: Record<string, string> } = {},
): Promise<number> {
  const list = items(input).sort((a, b) => dtypeSize(b.dtype) - dtypeSize(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (options.metadata && Object.keys(options.metadata).length) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const t of list) {
    if (t.name === '__metadata__' || Object.prototype.hasOwnProperty.call(header, t.name)) {
      throw new FormatError(`safetensors: tensor name '${t.name}' is reserved or repeated`);
    }
    const expected = numel(t.shape) * dtypeSize(t.dtype);
    if (expected !== t.byteLength) throw new FormatError(`safetensors: tensor '${t.name}' has ${t.byteLength} bytes, its shape needs ${expected}`);
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  await sink.write(head);
  await sink.write(json);
  for (const t of list) {
    const b = await t.bytes();
    if (b.byteLength !== t.byteLength) throw new FormatError(`safetensors: tensor '${t.name}' read ${b.byteLength} bytes, expected ${t.byteLength}`);
    if (b.byteLength) await sink.write(b);
  }
  return 8 + json.length + offset;
}

/** Encodes tensors as a safetensors file in memory (for small models and browsers). */
export async function encodeSafetensors(
  input: StateDict | readonly TensorData[],
  options: { metadata?: Record<string, string> } = {},
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const total = await writeSafetensors(input, { write: (c) => void chunks.push(c.slice()) }, options);
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}
