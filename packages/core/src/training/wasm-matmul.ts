import * as tf from '@tensorflow/tfjs-core';

/** Marks the kernel function installed by {@link useFastWasmMatMul}. */
const WRAPPED = Symbol.for('titok.fastWasmMatMul');

/** The internals of tfjs-backend-wasm 4.22 this file relies on. */
interface WasmBackendInternals {
  disposeData(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number }; delete(dataId: object): void };
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
    tfjs: { disposeData(id: number): void };
  };
}

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendInternals; attrs: tf.NamedAttrMap };

let rawMatMul: ((...a: unknown[]) => void) | undefined;

/** A tensor id registered over `shape` elements of `base`'s memory from element `offset` (no copy). */
function view(backend: WasmBackendInternals, base: tf.TensorInfo, offset: number, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32', backend.dataIdMap.get(base.dataId).memoryOffset + offset * 4);
}

/** Unregisters a {@link view} without freeing the memory it points into. */
function dropView(backend: WasmBackendInternals, v: tf.TensorInfo): void {
  const d = backend.dataIdMap.get(v.dataId);
  backend.wasm.tfjs.disposeData(d.id);
  backend.dataIdMap.delete(v.dataId);
}

const shapeBytes = (s: number[]) => new Uint8Array(new Int32Array(s).buffer);

/**
 * One m x k by k x n product on the wasm backend through XNNPACK, written into a new m x n
 * tensor; `fill` writes the operands first (views of the heap, valid only inside `fill`).
 * Undefined when {@link useFastWasmMatMul} has not set the backend up.
 */
export function wasmMatMulFrom(
  backend: object,
  m: number,
  k: number,
  n: number,
  fill: (a: Float32Array, b: Float32Array) => void,
): tf.TensorInfo | undefined {
  const be = backend as WasmBackendInternals & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  if (!rawMatMul || !be.dataIdMap || !be.typedArrayFromHeap) return undefined;
  const a = be.makeOutput([1, m, k], 'float32');
  const b = be.makeOutput([1, k, n], 'float32');
  const out = be.makeOutput([m, n], 'float32');
  try {
    fill(be.typedArrayFromHeap(a), be.typedArrayFromHeap(b));
    const id = (t: tf.TensorInfo) => be.dataIdMap.get(t.dataId).id;
    rawMatMul(id(a), shapeBytes([1, m, k]), 3, id(b), shapeBytes([1, k, n]), 3, false, false, id(out));
  } finally {
    be.disposeData(a.dataId);
    be.disposeData(b.dataId);
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
      if (pairs <= 1 || !sameBatch || a.dtype !== 'float32' || b.dtype !== 'float32' || !rawMatMul) {
        return callOriginal({ inputs: { a, b }, backend, attrs: plain });
      }
      const [m, k] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
      const n = b.shape[rb - 1]!;
      const out = backend.makeOutput([...batch, m, n], 'float32');
      for (let p = 0; p < pairs; p++) {
        const va = view(backend, a, p * m * k, [1, m, k]);
        const vb = view(backend, b, p * k * n, [1, k, n]);
        const vo = view(backend, out, p * m * n, [1, m, n]);
        try {
          const id = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).id;
          rawMatMul(id(va), shapeBytes([1, m, k]), 3, id(vb), shapeBytes([1, k, n]), 3, false, false, id(vo));
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
  const setupFunc = (backend: object) => {
    original.setupFunc?.(backend);
    rawMatMul = (backend as WasmBackendInternals).wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc, setupFunc: setupFunc as tf.KernelConfig['setupFunc'] });
  // The backend may already be up (its setup functions ran): set the raw function up now.
  const engine = tf.engine() as unknown as { registry: Record<string, object | undefined> };
  const live = engine.registry.wasm;
  if (live) setupFunc(live);
}
