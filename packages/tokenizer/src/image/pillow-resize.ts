/**
 * Bicubic resampling that reproduces Pillow's `Image.resize(size, Image.BICUBIC)` (the reference
 * preprocessing): a separable convolution, horizontal pass first, whose filter support is
 * widened by the downscale factor (antialiasing). 8-bit images are computed as Pillow computes
 * them, in 22-bit fixed point with rounding and an 8-bit intermediate image, so the results are
 * identical byte for byte; float images use the same weights in double precision (Pillow's "F"
 * mode). Channels are interleaved; every channel is filtered independently.
 */

/** Pillow's bicubic kernel (a = -0.5), support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

const SUPPORT = 2;
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;

/** Filter taps of one axis: for output i, `count[i]` weights from input index `first[i]`. */
export interface AxisWeights {
  ksize: number;
  first: Int32Array;
  count: Int32Array;
  /** outSize x ksize, normalised to sum 1. */
  weights: Float64Array;
}

/** Pillow's `precompute_coeffs` for the box [0, inSize) mapped onto outSize pixels. */
export function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    const row = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      weights[row + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) weights[row + x] /= ww;
    first[xx] = xmin;
    count[xx] = Math.max(0, xmax);
  }
  return { ksize, first, count, weights };
}

/** Pillow's `normalize_coeffs_8bpc`: weights in 22-bit fixed point, rounded half away from zero. */
function fixedPoint(w: Float64Array): Int32Array {
  const out = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const v = w[i]! * ONE;
    out[i] = w[i]! < 0 ? Math.trunc(-0.5 + v) : Math.trunc(0.5 + v);
  }
  return out;
}

function clip8(ss: number): number {
  if (ss <= 0) return 0;
  const v = Math.floor(ss / ONE);
  return v > 255 ? 255 : v;
}

type Pass = {
  src: ArrayLike<number>;
  /** elements between consecutive taps, between outputs along the axis, and between lines */
  tapStride: number;
  lines: number;
  lineStride: number;
  outLineStride: number;
  outStep: number;
  channels: number;
};

function pass8(p: Pass, a: AxisWeights, out: Uint8Array): void {
  const k = fixedPoint(a.weights);
  const n = a.first.length;
  for (let line = 0; line < p.lines; line++) {
    for (let i = 0; i < n; i++) {
      const base = line * p.lineStride + a.first[i]! * p.tapStride;
      const row = i * a.ksize;
      const cnt = a.count[i]!;
      for (let c = 0; c < p.channels; c++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let x = 0; x < cnt; x++) ss += p.src[base + x * p.tapStride + c]! * k[row + x]!;
        out[line * p.outLineStride + i * p.outStep + c] = clip8(ss);
      }
    }
  }
}

function passF(p: Pass, a: AxisWeights, out: Float32Array): void {
  const n = a.first.length;
  for (let line = 0; line < p.lines; line++) {
    for (let i = 0; i < n; i++) {
      const base = line * p.lineStride + a.first[i]! * p.tapStride;
      const row = i * a.ksize;
      const cnt = a.count[i]!;
      for (let c = 0; c < p.channels; c++) {
        let ss = 0;
        for (let x = 0; x < cnt; x++) ss += p.src[base + x * p.tapStride + c]! * a.weights[row + x]!;
        out[line * p.outLineStride + i * p.outStep + c] = ss;
      }
    }
  }
}

/**
 * Resizes an interleaved image (height x width x channels) to outWidth x outHeight exactly as
 * Pillow's bicubic `resize` does: a Uint8Array is filtered in Pillow's 8-bit fixed point (byte
 * identical), a Float32Array in double precision (Pillow's float mode, no clamping). An axis
 * whose size does not change is not filtered; same size returns a copy.
 */
export function resizeBicubic<T extends Uint8Array | Float32Array>(
  src: T,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
): T {
  const u8 = src instanceof Uint8Array;
  const make = (n: number) => (u8 ? new Uint8Array(n) : new Float32Array(n)) as T;
  let cur: T = src;
  let w = width;
  if (outWidth !== width) {
    const out = make(outWidth * height * channels);
    const p: Pass = {
      src: cur,
      tapStride: channels,
      lines: height,
      lineStride: width * channels,
      outLineStride: outWidth * channels,
      outStep: channels,
      channels,
    };
    const a = axisWeights(width, outWidth);
    if (u8) pass8(p, a, out as Uint8Array);
    else passF(p, a, out as Float32Array);
    cur = out;
    w = outWidth;
  }
  if (outHeight !== height) {
    const out = make(outWidth * outHeight * channels);
    // lines are columns here: a column's taps are one row apart
    const p: Pass = {
      src: cur,
      tapStride: w * channels,
      lines: w,
      lineStride: channels,
      outLineStride: channels,
      outStep: w * channels,
      channels,
    };
    const a = axisWeights(height, outHeight);
    if (u8) pass8(p, a, out as Uint8Array);
    else passF(p, a, out as Float32Array);
    cur = out;
  }
  return cur === src ? (src.slice() as T) : cur;
}
