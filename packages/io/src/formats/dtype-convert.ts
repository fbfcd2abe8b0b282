import { FormatError, dtypeSize, float32BitsToHalf, halfToFloat } from '@titok/core';
import type { DType } from '@titok/core';

/** Element types the tfjs weights format stores (float16 as tfjs' float16 quantization). */
export type StorageDType = 'float32' | 'float16' | 'int32' | 'bool';

/** Rounds a double to float16 bits directly (no double rounding through float32). */
function f64ToHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  // Exponent with 2^e <= a < 2^(e+1), at least -14 (the subnormals share the ulp 2^-24).
  let e = a === 0 ? -14 : Math.max(-14, Math.floor(Math.log2(a)));
  if (e > -14 && 2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const q = a / 2 ** (e - 10);
  let m = Math.floor(q);
  const r = q - m;
  if (r > 0.5 || (r === 0.5 && m % 2 === 1)) m++;
  if (m === 2048) {
    m = 1024;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  if (e === -14 && m < 1024) return sign | m;
  return sign | ((e + 15) << 10) | (m - 1024);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Float32 bits of every element (exact for F16, BF16; F64 rounds to nearest). */
function toFloat32Bits(bytes: Uint8Array, dtype: DType): Uint32Array {
  const n = bytes.byteLength / dtypeSize(dtype);
  const dv = view(bytes);
  const out = new Uint32Array(n);
  switch (dtype) {
    case 'F32':
      if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = dv.getUint32(i * 4, true);
      return out;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(i * 2, true) << 16;
      return out;
    case 'F16': {
      const f = new Float32Array(out.buffer);
      for (let i = 0; i < n; i++) f[i] = halfToFloat(dv.getUint16(i * 2, true));
      return out;
    }
    case 'F64': {
      const f = new Float32Array(out.buffer);
      for (let i = 0; i < n; i++) f[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    default:
      throw new FormatError(`cannot convert ${dtype} to a float type`);
  }
}

/** The storage type a tensor of `dtype` gets in a tfjs weights file written as `floats`. */
export function storageDTypeFor(dtype: DType, floats: 'float32' | 'float16'): StorageDType {
  if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64') return floats;
  return dtype === 'BOOL' ? 'bool' : 'int32';
}

/** Bytes per element of a storage type. */
export function storageSize(t: StorageDType): number {
  return t === 'float32' || t === 'int32' ? 4 : t === 'float16' ? 2 : 1;
}

/**
 * Converts a tensor's little-endian bytes to the storage type, little-endian: float32 copies
 * F32 bit for bit, float16 rounds to nearest even (F16 is copied), integers are range-checked
 * into int32 (never wrapped).
 *
 * @param what - names the tensor in errors
 */
export function convertTo(bytes: Uint8Array, dtype: DType, target: StorageDType, what: string): Uint8Array {
  const n = bytes.byteLength / dtypeSize(dtype);
  if (target === 'float32') {
    if (dtype === 'F32') return bytes;
    return new Uint8Array(toFloat32Bits(bytes, dtype).buffer);
  }
  if (target === 'float16') {
    if (dtype === 'F16') return bytes;
    const out = new Uint16Array(n);
    if (dtype === 'F64') {
      const dv = view(bytes);
      for (let i = 0; i < n; i++) out[i] = f64ToHalf(dv.getFloat64(i * 8, true));
    } else {
      const bits = toFloat32Bits(bytes, dtype);
      for (let i = 0; i < n; i++) out[i] = float32BitsToHalf(bits[i]!);
    }
    return new Uint8Array(out.buffer);
  }
  if (target === 'bool') {
    if (dtype !== 'BOOL' && dtype !== 'U8') throw new FormatError(`${what}: cannot store ${dtype} as bool`);
    return bytes.map((b) => (b ? 1 : 0));
  }
  const dv = view(bytes);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    switch (dtype) {
      case 'I64': {
        const b = dv.getBigInt64(i * 8, true);
        if (b > 2147483647n || b < -2147483648n) throw new FormatError(`${what}: value ${b} at index ${i} does not fit in int32`);
        v = Number(b);
        break;
      }
      case 'I32': v = dv.getInt32(i * 4, true); break;
      case 'I16': v = dv.getInt16(i * 2, true); break;
      case 'I8': v = dv.getInt8(i); break;
      case 'U8': case 'BOOL': v = bytes[i]!; break;
      default: throw new FormatError(`${what}: cannot store ${dtype} as int32`);
    }
    out[i] = v;
  }
  return new Uint8Array(out.buffer);
}
