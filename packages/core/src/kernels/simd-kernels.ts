/**
 * titok-js' WebAssembly SIMD element-wise kernels (GELU, SiLU, LayerNorm, GroupNorm), built
 * from `packages/core/simd/kernels.c` and instantiated on tfjs-backend-wasm's own memory, so
 * that they read and write tensors where they are (no copies). One instance per wasm backend;
 * the threaded build's shared memory takes the shared-memory variant. Unavailable (undefined)
 * where the engine has no SIMD or the backend's memory cannot be found: callers then use
 * stock ops.
 */
import { SIMD_WASM, SIMD_WASM_SHARED } from './simd-binary.js';
import type { WasmBackendLike } from './wasm-backend.js';

/** The module's exports; every pointer is a byte offset into tfjs' heap. */
export interface SimdKernels {
  gelu(x: number, y: number, n: number): void;
  silu(x: number, y: number, n: number): void;
  layer_norm(x: number, w: number, b: number, y: number, rows: number, dim: number, eps: number): void;
  /** Adds per-channel sums (doubles at out[0..c)) and sums of squares (out[c..2c)); c % 4 === 0. */
  channel_sums(x: number, spatial: number, c: number, out: number): void;
  /** y = x · scale[c] + shift[c], then SiLU when siluAfter is 1; c % 4 === 0. */
  scale_shift(x: number, scale: number, shift: number, y: number, spatial: number, c: number, siluAfter: number): void;
  /** Self-attention of all heads; q, k, v rows of `stride` floats, out rows of `outStride`; scores: t floats of scratch. */
  attention(q: number, k: number, v: number, stride: number, out: number, outStride: number, batch: number, t: number, heads: number, dh: number, scale: number, scores: number): void;
}

const instances = new WeakMap<object, SimdKernels | null>();

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The backend's WebAssembly.Memory: exported by the plain builds, created by the glue for the threaded one. */
function backendMemory(backend: WasmBackendLike): WebAssembly.Memory | undefined {
  const w = backend.wasm as unknown as { wasmMemory?: unknown; asm?: Record<string, unknown> };
  const m = w.wasmMemory ?? w.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : undefined;
}

/** The SIMD kernels on `backend`'s heap, or undefined where they cannot run. */
export function simdKernels(backend: WasmBackendLike): SimdKernels | undefined {
  const known = instances.get(backend);
  if (known !== undefined) return known ?? undefined;
  let k: SimdKernels | null = null;
  try {
    const memory = backendMemory(backend);
    if (memory && memory.buffer === backend.wasm.HEAPU8.buffer) {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const bytes = decode(shared ? SIMD_WASM_SHARED : SIMD_WASM);
      if (WebAssembly.validate(bytes)) {
        const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
        k = instance.exports as unknown as SimdKernels;
      }
    }
  } catch {
    k = null;
  }
  instances.set(backend, k);
  return k ?? undefined;
}
