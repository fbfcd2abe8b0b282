import { FormatError } from '@titok/core';

/** A strided view: element offset, sizes and strides (in elements), as PyTorch stores tensors. */
export interface StridedView {
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

/** Number of elements of a view, or a FormatError when it overflows. */
export function viewNumel(v: StridedView, what: string, file: string): number {
  let n = 1;
  for (const d of v.shape) n *= d;
  if (!Number.isSafeInteger(n)) throw new FormatError(`${what}: shape [${v.shape.join(', ')}] has too many elements`, { file });
  return n;
}

/** True when the view is row-major contiguous (dimensions of size 1 may have any stride). */
export function isContiguous(v: StridedView): boolean {
  let expected = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    const d = v.shape[i]!;
    if (d !== 1 && v.stride[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/**
 * The storage elements a view touches: from `offset` to its largest index, inclusive
 * (`count` 0 for an empty tensor).
 */
export function viewSpan(v: StridedView, what: string, file: string): { first: number; count: number } {
  const numel = viewNumel(v, what, file);
  if (numel === 0) return { first: v.offset, count: 0 };
  let last = v.offset;
  for (let i = 0; i < v.shape.length; i++) last += (v.shape[i]! - 1) * v.stride[i]!;
  if (!Number.isSafeInteger(last)) throw new FormatError(`${what}: strides reach past any storage`, { file });
  return { first: v.offset, count: last - v.offset + 1 };
}

/**
 * Copies a strided view out of `span` (the bytes of the storage elements from the view's
 * offset on) into contiguous row-major bytes. Runs along a unit-stride last dimension are
 * copied whole.
 */
export function gatherStrided(span: Uint8Array, elementSize: number, v: StridedView): Uint8Array {
  const shape = v.shape;
  const nd = shape.length;
  let numel = 1;
  for (const d of shape) numel *= d;
  const out = new Uint8Array(numel * elementSize);
  if (numel === 0) return out;
  if (nd === 0) {
    out.set(span.subarray(0, elementSize));
    return out;
  }
  const inner = shape[nd - 1]!;
  const innerStride = v.stride[nd - 1]!;
  const index = new Array<number>(nd - 1).fill(0);
  let src = 0; // element index into span of the current row
  let dst = 0; // byte offset in out
  const rows = numel / inner;
  for (let r = 0; r < rows; r++) {
    if (innerStride === 1) {
      out.set(span.subarray(src * elementSize, (src + inner) * elementSize), dst);
      dst += inner * elementSize;
    } else {
      for (let j = 0; j < inner; j++) {
        const s = (src + j * innerStride) * elementSize;
        for (let b = 0; b < elementSize; b++) out[dst++] = span[s + b]!;
      }
    }
    for (let k = nd - 2; k >= 0; k--) {
      index[k]!++;
      src += v.stride[k]!;
      if (index[k]! < shape[k]!) break;
      src -= index[k]! * v.stride[k]!;
      index[k] = 0;
    }
  }
  return out;
}
