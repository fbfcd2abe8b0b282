import { FormatError } from '@titok/core';

/** Element types of the IDX format (third byte of the magic number). */
const IDX_TYPES: Record<number, { name: IdxDType; size: number }> = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

/** The element type of an IDX file. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** An IDX array: shape and row-major data (big-endian values converted to host numbers). */
export interface IdxArray {
  dtype: IdxDType;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/**
 * Parses an IDX file (the format of MNIST and Fashion-MNIST: a 4-byte magic `00 00 <type>
 * <rank>`, `rank` big-endian uint32 dimensions, then the values, big-endian). The bytes must be
 * decompressed already (see `readIdxFile` in `@titok/io/node` for `.gz` files).
 *
 * @param name - the file name, for error messages
 * @throws FormatError for a bad magic number, an unknown type, or a size that does not match
 */
export function parseIdx(bytes: Uint8Array, name = '<idx>'): IdxArray {
  const fail = (msg: string): never => {
    throw new FormatError(`not an IDX file: ${msg}`, { file: name });
  };
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) fail('the data is gzip-compressed; decompress it first');
  if (bytes.length < 4) fail(`${bytes.length} bytes, too short for the header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`magic number starts with ${bytes[0]}, ${bytes[1]} instead of 0, 0`);
  const type = IDX_TYPES[bytes[2]!];
  if (!type) fail(`unknown element type 0x${bytes[2]!.toString(16).padStart(2, '0')}`);
  const rank = bytes[3]!;
  if (rank < 1) fail('rank 0');
  const head = 4 + 4 * rank;
  if (bytes.length < head) fail(`${bytes.length} bytes, too short for ${rank} dimensions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = head + count * type!.size;
  if (bytes.length !== expected) fail(`shape [${shape.join(', ')}] of ${type!.name} needs ${expected} bytes, the file has ${bytes.length}`);
  const body = bytes.subarray(head);
  let data: IdxArray['data'];
  switch (type!.name) {
    case 'uint8':
      data = Uint8Array.from(body);
      break;
    case 'int8':
      data = Int8Array.from(new Int8Array(body.buffer, body.byteOffset, count));
      break;
    default: {
      const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const read = {
        int16: (i: number) => bv.getInt16(2 * i, false),
        int32: (i: number) => bv.getInt32(4 * i, false),
        float32: (i: number) => bv.getFloat32(4 * i, false),
        float64: (i: number) => bv.getFloat64(8 * i, false),
      }[type!.name as 'int16' | 'int32' | 'float32' | 'float64'];
      const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[type!.name as 'int16'];
      const out = new Ctor(count);
      for (let i = 0; i < count; i++) out[i] = read(i);
      data = out;
    }
  }
  return { dtype: type!.name, shape, data };
}
