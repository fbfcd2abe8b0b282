/**
 * Typed access to the internals of tfjs-backend-wasm 4.22 that titok-js' wasm kernels use:
 * tensor ids and heap offsets, tensors registered over existing heap memory ("views", no copy),
 * and the raw C functions of its kernels. Everything here is checked against that version
 * ({@link wasmInternals} returns undefined for any other, and the callers fall back to stock
 * tfjs ops).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs-backend-wasm version these internals were checked against. */
export const WASM_INTERNALS_VERSION = '4.22.0';

interface DataEntry {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

type CFunc = (...args: unknown[]) => void;

/** The parts of tfjs-backend-wasm's `BackendWasm` used here. */
export interface WasmBackendLike {
  dataIdMap: { get(dataId: object): DataEntry; delete(dataId: object): void; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  wasm: {
    HEAPU8: Uint8Array;
    cwrap(name: string, ret: null | string, args: string[]): CFunc;
    tfjs: { disposeData(id: number): void };
  };
}

/** The raw C entry points (same argument lists as the tfjs kernels that wrap them). */
export interface WasmFuncs {
  /** (a, aShape, aRank, b, bShape, bRank, transposeA, transposeB, out); XNNPACK when both ranks' batch is 1 and nothing is transposed. */
  batchMatMul: CFunc;
  /** (x, xShape, rank, dtype, out, perm, permLength). */
  transpose: CFunc;
  /** (x, out, channels, batch). */
  softmax: CFunc;
  /** (a, aShape, aRank, b, bShape, bRank, transposeA, transposeB, activation, bias, prelu, leakyAlpha, out). */
  fusedMatMul: CFunc;
  /** (a, aShape, aRank, b, bShape, bRank, dtype, out): a + b with broadcasting (in place when out is a). */
  add: CFunc;
}

const funcs = new WeakMap<object, WasmFuncs>();

let wasmVersion: string | undefined;

/** Records the tfjs-backend-wasm version (its `version_wasm` export) once the module is loaded. */
export function setWasmVersion(version: string | undefined): void {
  wasmVersion = version;
}

/**
 * The active wasm backend and its raw functions, or undefined when the active backend is not
 * wasm, is another tfjs-backend-wasm version than {@link WASM_INTERNALS_VERSION} (when known:
 * `selectBackend` records it), or lacks one of the internals used here.
 */
export function wasmInternals(): { backend: WasmBackendLike; f: WasmFuncs } | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  if (wasmVersion !== undefined && wasmVersion !== WASM_INTERNALS_VERSION) return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const w = backend?.wasm;
  if (!w || typeof w.cwrap !== 'function' || !w.HEAPU8 || typeof w.tfjs?.disposeData !== 'function') return undefined;
  if (typeof backend.makeOutput !== 'function' || typeof backend.dataIdMap?.get !== 'function') return undefined;
  let f = funcs.get(backend);
  if (!f) {
    f = {
      batchMatMul: w.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']),
      transpose: w.cwrap('Transpose', null, ['number', 'array', 'number', 'number', 'number', 'array', 'number']),
      softmax: w.cwrap('Softmax', null, ['number', 'number', 'number', 'number']),
      add: w.cwrap('Add', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number']),
      fusedMatMul: w.cwrap('_FusedMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']),
    };
    funcs.set(backend, f);
  }
  return { backend, f };
}

/** Int32 values as the byte array the C functions take for shapes and permutations. */
export function int32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(values).buffer);
}

/** A scratch float32 tensor of the backend (its own memory); free it with {@link freeTemp}. */
export function allocTemp(backend: WasmBackendLike, shape: number[]): { info: tf.TensorInfo; id: number; offset: number } {
  const info = backend.makeOutput(shape, 'float32');
  const e = backend.dataIdMap.get(info.dataId);
  return { info, id: e.id, offset: e.memoryOffset };
}

/** Frees a {@link allocTemp} tensor. */
export function freeTemp(backend: WasmBackendLike, t: { info: tf.TensorInfo }): void {
  backend.disposeData(t.info.dataId, true);
}

/**
 * Registers `count` float32 values at heap byte offset `offset` as a tensor id (no copy, no
 * allocation); release it with {@link dropView}, which never frees the memory.
 */
export function makeView(backend: WasmBackendLike, offset: number, shape: number[]): { info: tf.TensorInfo; id: number } {
  const info = backend.makeOutput(shape, 'float32', offset);
  return { info, id: backend.dataIdMap.get(info.dataId).id };
}

/** Unregisters a {@link makeView} (and anything the C side cached for its id). */
export function dropView(backend: WasmBackendLike, v: { info: tf.TensorInfo; id: number }): void {
  backend.wasm.tfjs.disposeData(v.id);
  backend.dataIdMap.delete(v.info.dataId);
}

/** A Float32Array over `count` values of the heap at byte `offset` (valid until the heap grows). */
export function heapF32(backend: WasmBackendLike, offset: number, count: number): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, offset, count);
}

/** Whether gradients are being recorded (titok-js' custom kernels have none: use stock ops then). */
export function isTapeOn(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return typeof engine.isTapeOn === 'function' ? engine.isTapeOn() : true;
}
