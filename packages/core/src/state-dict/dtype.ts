import { FormatError } from '../errors/index.js';
import type { DType } from './types.js';

const SIZES: Record<DType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** All dtypes, in safetensors' spelling. */
export const DTYPES: readonly DType[] = Object.keys(SIZES) as DType[];

/** True when `name` is a known dtype. */
export function isDType(name: unknown): name is DType {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(SIZES, name);
}

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: DType): number {
  return SIZES[dtype];
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Converts one IEEE half-precision value (as its 16 bits) to a number, exactly. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/**
 * Converts a float32 value to the nearest float16 (round to nearest, ties to even), returned
 * as its 16 bits. Values beyond the float16 range become infinities, as in PyTorch.
 */
export function floatToHalf(value: number): number {
  F32[0] = value;
  return float32BitsToHalf(F32_BITS[0]!);
}

/**
 * Rounds the bits of a float32 (as a uint32) to float16 bits: to nearest, ties to even;
 * overflow to infinity, NaN payloads kept where they fit. The loop-friendly form of
 * {@link floatToHalf} for whole arrays.
 */
export function float32BitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to zero
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // may carry into the exponent: correct
  return sign | h;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes little-endian bytes of `dtype` to float32. F16 and BF16 convert exactly; F64 rounds
 * to the nearest float32; integers and booleans convert by value.
 */
export function toFloat32(bytes: Uint8Array, dtype: DType, what = 'tensor'): Float32Array {
  const size = SIZES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new FormatError(`${what}: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const n = bytes.byteLength / size;
  const dv = view(bytes);
  if (dtype === 'F32') {
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = bytes[i]!;
      break;
  }
  return out;
}

/**
 * Decodes little-endian integer (or boolean) bytes to int32, refusing values outside the
 * int32 range rather than wrapping them.
 */
export function toInt32(bytes: Uint8Array, dtype: DType, what = 'tensor'): Int32Array {
  if (dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16') {
    throw new FormatError(`${what}: expected an integer dtype, got ${dtype}`);
  }
  const size = SIZES[dtype];
  const n = bytes.byteLength / size;
  const dv = view(bytes);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    switch (dtype) {
      case 'I64': {
        const b = dv.getBigInt64(i * 8, true);
        if (b > 2147483647n || b < -2147483648n) throw new FormatError(`${what}: value ${b} does not fit in int32`);
        v = Number(b);
        break;
      }
      case 'I32':
        v = dv.getInt32(i * 4, true);
        break;
      case 'I16':
        v = dv.getInt16(i * 2, true);
        break;
      case 'I8':
        v = dv.getInt8(i);
        break;
      default:
        v = bytes[i]!;
    }
    out[i] = v;
  }
  return out;
}
