import { FormatError, floatToHalf, halfToFloat } from '@titok/core';
import { convertTo } from './dtype-convert.js';

/** float32 -> float16 bits through io's own conversion path (what convert and the tfjs writer use). */
function toHalf(x: number): number {
  const out = convertTo(new Uint8Array(new Float32Array([x]).buffer), 'F32', 'float16', 'x');
  return new Uint16Array(out.buffer, out.byteOffset, 1)[0]!;
}

/** Independent check: no other float16 value is closer to x, and ties go to the even one. */
function isNearestEven(x: number, h: number): boolean {
  const v = halfToFloat(h);
  if (Number.isNaN(x)) return Number.isNaN(v);
  if (!Number.isFinite(v)) return Math.abs(x) >= 65520;
  const err = Math.abs(v - x);
  for (const n of [h - 1, h + 1, h ^ 0x8000]) {
    if ((n & 0x7c00) === 0x7c00 || n < 0 || n > 0xffff) continue;
    const e = Math.abs(halfToFloat(n) - x);
    if (e < err) return false;
    if (e === err && (h & 1) === 1 && v !== 0) return false;
  }
  return true;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('float16 rounding', () => {
  it('rounds float32 to the nearest float16, ties to even, over all magnitudes', () => {
    const rnd = seeded(1);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < 200_000; i++) {
      u[0] = Math.floor(rnd() * 2 ** 32) >>> 0;
      if (Number.isNaN(f[0])) continue;
      const h = toHalf(f[0]!);
      if (!isNearestEven(f[0]!, h)) throw new Error(`${f[0]} -> ${h.toString(16)}`);
      if (h !== floatToHalf(f[0]!)) throw new Error(`differs from core's floatToHalf at ${f[0]}`);
    }
  });

  it('handles exact ties, subnormals, overflow and specials', () => {
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(toHalf(2 ** -24)).toBe(1);
    expect(toHalf(2 ** -25)).toBe(0); // tie with zero -> even
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00);
    expect(toHalf(-Infinity)).toBe(0xfc00);
    expect(toHalf(-0)).toBe(0x8000);
    expect(toHalf(NaN) & 0x7c00).toBe(0x7c00);
  });

  it('rounds float64 directly (no double rounding through float32)', () => {
    // 1 + 2^-11 + 2^-40 is just above a tie: float64 -> float16 rounds up; via float32 it would tie down.
    const bytes = new Uint8Array(new Float64Array([1 + 2 ** -11 + 2 ** -40, -3.0, 2 ** -24 * 0.75, 1e6]).buffer);
    const out = new Uint16Array(convertTo(bytes, 'F64', 'float16', 't').slice().buffer);
    expect(Array.from(out)).toEqual([0x3c01, 0xc200, 0x0001, 0x7c00]);
  });

  it('converts BF16/F16/F64 to float32 exactly and copies F32', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -2.25]).buffer);
    expect(convertTo(f32, 'F32', 'float32', 't')).toBe(f32);
    const bf = new Uint8Array(new Uint16Array([0x3fc0, 0xc010]).buffer);
    expect(Array.from(new Float32Array(convertTo(bf, 'BF16', 'float32', 't').slice().buffer))).toEqual([1.5, -2.25]);
    const h = new Uint8Array(new Uint16Array([0x3e00, 0x0001]).buffer);
    expect(Array.from(new Float32Array(convertTo(h, 'F16', 'float32', 't').slice().buffer))).toEqual([1.5, 2 ** -24]);
  });

  it('stores integers as int32 and refuses values that do not fit', () => {
    const ok = new Uint8Array(new BigInt64Array([0n, -5n, 2147483647n]).buffer);
    expect(Array.from(new Int32Array(convertTo(ok, 'I64', 'int32', 't').slice().buffer))).toEqual([0, -5, 2147483647]);
    const big = new Uint8Array(new BigInt64Array([2n ** 31n]).buffer);
    expect(() => convertTo(big, 'I64', 'int32', "tensor 'ids'")).toThrow(FormatError);
    expect(() => convertTo(big, 'I64', 'int32', "tensor 'ids'")).toThrow(/tensor 'ids': value 2147483648 at index 0 does not fit in int32/);
  });
});
