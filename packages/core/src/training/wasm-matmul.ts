import * as tf from '@tensorflow/tfjs-core';
import { allocTemp, dropView, freeTemp, heapF32, int32Bytes, makeView, wasmInternals } from '../kernels/wasm-backend.js';
import type { WasmBackendLike } from '../kernels/wasm-backend.js';

/** Marks the kernel function installed by {@link useFastWasmMatMul}. */
const WRAPPED = Symbol.for('titok.fastWasmMatMul');

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: tf.NamedAttrMap };

/** Whether {@link useFastWasmMatMul} has replaced the wasm `BatchMatMul` kernel. */
function installed(): boolean {
  const k = tf.getKernel('BatchMatMul', 'wasm');
  return !!k && !!(k.kernelFunc as unknown as Record<symbol, boolean>)[WRAPPED];
}

/** Heap byte offset of `t`'s values plus `elements` float32 values. */
const offsetOf = (backend: WasmBackendLike, t: tf.TensorInfo, elements = 0) => backend.dataIdMap.get(t.dataId).memoryOffset + elements * 4;

/**
 * One m x k by k x n product on the wasm backend through XNNPACK, written into a new m x n
 * tensor. The right operand is `b` itself (k·n float32 values, read in place, no copy); `fill`
 * writes the left one, and may read tensors of the backend through `heap` (views of the heap,
 * valid only inside `fill`). Undefined when `backend` is not the active wasm backend of the
 * checked tfjs-backend-wasm version or {@link useFastWasmMatMul} has not set it up.
 */
export function wasmMatMulFrom(
  backend: object,
  m: number,
  k: number,
  n: number,
  b: tf.TensorInfo,
  fill: (a: Float32Array, heap: (t: tf.TensorInfo) => Float32Array) => void,
): tf.TensorInfo | undefined {
  const w = wasmInternals();
  if (!w || w.backend !== backend || !installed()) return undefined;
  const be = w.backend;
  const a = allocTemp(be, [1, m, k]);
  const out = be.makeOutput([m, n], 'float32');
  const vb = makeView(be, offsetOf(be, b), [1, k, n]);
  try {
    // Heap views only now: the allocations and registrations above may grow (and detach) the heap.
    const heap = (t: tf.TensorInfo) => heapF32(be, offsetOf(be, t), tf.util.sizeFromShape(t.shape));
    fill(heapF32(be, a.offset, m * k), heap);
    w.f.batchMatMul(a.id, int32Bytes([1, m, k]), 3, vb.id, int32Bytes([1, k, n]), 3, false, false, be.dataIdMap.get(out.dataId).id);
  } finally {
    dropView(be, vb);
    freeTemp(be, a);
  }
  return out;
}

/**
 * tfjs-backend-wasm 4.22 multiplies with XNNPACK only for one matrix pair with no transposed
 * operand; transposed operands (every Linear layer, two of the three products of a matrix-product
 * gradient) and batches of pairs (attention: one pair per image and head) take a naive loop,
 * 5-10x slower. This replaces the wasm `BatchMatMul` kernel with one that transposes such
 * operands first (the wasm `Transpose` kernel) and runs each pair of a batch through the fast
 * path, on views of the operands' memory written straight into the output (no copies). Products
 * of the same numbers, summed in XNNPACK's order instead of the loop's, so results may differ
 * from the stock kernel in the last bits; deterministic. Used for training by
 * `ensureTrainingKernels`; idempotent; a no-op where the wasm backend is not registered.
 */
export function useFastWasmMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original || (original.kernelFunc as unknown as Record<symbol, boolean>)[WRAPPED]) return;
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!transposeKernel) return;
  const callOriginal = (args: KernelArgs) => original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const kernelFunc = ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const temps: tf.TensorInfo[] = [];
    const flip = (x: tf.TensorInfo): tf.TensorInfo => {
      const r = x.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      const t = transposeKernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
      temps.push(t);
      return t;
    };
    try {
      const a = attrs.transposeA ? flip(inputs.a!) : inputs.a!;
      const b = attrs.transposeB ? flip(inputs.b!) : inputs.b!;
      const plain = { ...attrs, transposeA: false, transposeB: false };
      const ra = a.shape.length;
      const rb = b.shape.length;
      const batch = a.shape.slice(0, -2);
      const pairs = batch.reduce((x, y) => x * y, 1);
      const sameBatch = ra === rb && batch.every((d, i) => d === b.shape[i]);
      const w = wasmInternals();
      if (pairs <= 1 || !sameBatch || a.dtype !== 'float32' || b.dtype !== 'float32' || !w || w.backend !== backend) {
        return callOriginal({ inputs: { a, b }, backend, attrs: plain });
      }
      const [m, k] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
      const n = b.shape[rb - 1]!;
      const out = backend.makeOutput([...batch, m, n], 'float32');
      for (let p = 0; p < pairs; p++) {
        const va = makeView(backend, offsetOf(backend, a, p * m * k), [1, m, k]);
        const vb = makeView(backend, offsetOf(backend, b, p * k * n), [1, k, n]);
        const vo = makeView(backend, offsetOf(backend, out, p * m * n), [1, m, n]);
        try {
          w.f.batchMatMul(va.id, int32Bytes([1, m, k]), 3, vb.id, int32Bytes([1, k, n]), 3, false, false, vo.id);
        } finally {
          dropView(backend, va);
          dropView(backend, vb);
          dropView(backend, vo);
        }
      }
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }) as unknown as tf.KernelFunc;
  (kernelFunc as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}
