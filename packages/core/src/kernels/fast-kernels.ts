/**
 * titok-js' own kernels for tfjs-backend-wasm, registered on first use, and the switch that
 * turns them off (for A/B benchmarks and debugging).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ATTENTION_KERNEL, SIMD_ATTENTION_MAX_TOKENS, simdAttention, wasmAttention } from './wasm-attention.js';
import { GROUP_NORM_KERNEL, simdGroupNorm, wasmGroupNorm } from './wasm-group-norm.js';
import { GELU_KERNEL, LAYER_NORM_KERNEL, SILU_KERNEL, wasmLayerNorm, wasmUnary } from './wasm-elementwise.js';
import { simdKernels } from './simd-kernels.js';
import { LINEAR_KERNEL, pruneWasmWeightCache, wasmLinear } from './wasm-linear.js';
import { isTapeOn, wasmInternals } from './wasm-backend.js';
import type { WasmBackendLike } from './wasm-backend.js';

let enabled = true;

/**
 * Turns titok-js' fast wasm kernels (linear layers within the heap, fused attention, SIMD
 * GELU / SiLU / LayerNorm / GroupNorm) on or off; on by default.
 * They give the same results as stock tfjs ops up to float32 rounding. Returns the previous
 * setting.
 */
export function useFastKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether {@link useFastKernels} is on. */
export function fastKernelsEnabled(): boolean {
  return enabled;
}

/** Whether {@link runFastKernel} would run now (wasm 4.22 active, kernels on, no gradient tape). */
export function canRunFastKernels(): boolean {
  return enabled && !isTapeOn() && wasmInternals() !== undefined;
}

type KernelImpl = (backend: WasmBackendLike, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => tf.TensorInfo;

const simd = (backend: WasmBackendLike) => simdKernels(backend)!;

/** Kernels that need the SIMD module ({@link runFastKernel} checks it is there). */
const NEEDS_SIMD = new Set([GELU_KERNEL, SILU_KERNEL, LAYER_NORM_KERNEL]);

/**
 * Attention from three tensors runs only in the SIMD version (short sequences, head width in
 * fours); the packed form falls back to XNNPACK products inside the kernel.
 */
function separateAttentionRuns(backend: WasmBackendLike, inputs: Record<string, tf.Tensor>, heads: number): boolean {
  const q = inputs.q!;
  const t = q.shape[1]!;
  const same = ['k', 'v'].every((n) => inputs[n]!.shape.every((s, i) => s === q.shape[i]));
  return !!simdKernels(backend) && same && t <= SIMD_ATTENTION_MAX_TOKENS && (q.shape[2]! / heads) % 4 === 0;
}

/** GroupNorm then SiLU has only the SIMD version, which needs channels in fours. */
function groupNormSiluRuns(backend: WasmBackendLike, x: tf.Tensor): boolean {
  return !!simdKernels(backend) && x.shape[x.rank - 1]! % 4 === 0;
}

const IMPLS: Record<string, KernelImpl> = {
  [GELU_KERNEL]: (backend, inputs) => wasmUnary(backend, simd(backend), inputs.x!, 'gelu'),
  [SILU_KERNEL]: (backend, inputs) => wasmUnary(backend, simd(backend), inputs.x!, 'silu'),
  [LAYER_NORM_KERNEL]: (backend, inputs, attrs) => wasmLayerNorm(backend, simd(backend), inputs.x!, inputs.gamma!, inputs.beta!, attrs.eps as number),
  [ATTENTION_KERNEL]: (backend, inputs, attrs) => {
    const heads = attrs.numHeads as number;
    const off = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
    const k = simdKernels(backend);
    if (inputs.qkv) {
      const [n, t, d3] = inputs.qkv.shape as [number, number, number];
      const d = d3 / 3;
      if (!k || t > SIMD_ATTENTION_MAX_TOKENS || (d / heads) % 4 !== 0) return wasmAttention(backend, wasmInternals()!.f, inputs.qkv, heads);
      const base = off(inputs.qkv);
      return simdAttention(backend, k, { q: base, k: base + 4 * d, v: base + 8 * d, stride: d3 }, n, t, d, heads);
    }
    const [n, t, d] = inputs.q!.shape as [number, number, number];
    return simdAttention(backend, k!, { q: off(inputs.q!), k: off(inputs.k!), v: off(inputs.v!), stride: d }, n, t, d, heads);
  },
  [LINEAR_KERNEL]: (backend, inputs) => wasmLinear(backend, wasmInternals()!.f, inputs.x!, inputs.weight!, inputs.bias),
  [GROUP_NORM_KERNEL]: (backend, inputs, attrs) => {
    const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
    const k = simdKernels(backend);
    const c = x!.shape[x!.shape.length - 1]!;
    if (k && c % 4 === 0) return simdGroupNorm(backend, k, x!, gamma!, beta!, attrs.numGroups as number, attrs.eps as number, !!attrs.silu);
    const y = wasmGroupNorm(backend, x!, gamma!, beta!, attrs.numGroups as number, attrs.eps as number);
    if (!attrs.silu) return y;
    throw new Error('TitokGroupNorm: SiLU needs the SIMD module'); // runFastKernel checks this first
  },
};

function ensureRegistered(name: string): void {
  if (tf.getKernel(name, 'wasm')) return;
  const impl = IMPLS[name]!;
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackendLike; attrs: tf.NamedAttrMap }) =>
      impl(backend, inputs, attrs)) as unknown as tf.KernelFunc,
  });
}

/**
 * Runs titok-js kernel `name` when it can: the active backend is tfjs-backend-wasm 4.22, the
 * fast kernels are on, no gradient is being recorded and the inputs are float32. Undefined
 * otherwise (the caller computes the same thing with stock ops).
 */
export function runFastKernel<T extends tf.Tensor>(name: string, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap): T | undefined {
  if (!canRunFastKernels() || Object.values(inputs).some((t) => t.dtype !== 'float32')) return undefined;
  const backend = wasmInternals()!.backend;
  if (NEEDS_SIMD.has(name) && !simdKernels(backend)) return undefined;
  if (name === GROUP_NORM_KERNEL && attrs.silu && !groupNormSiluRuns(backend, inputs.x!)) return undefined;
  if (name === ATTENTION_KERNEL && inputs.q && !separateAttentionRuns(backend, inputs, attrs.numHeads as number)) return undefined;
  ensureRegistered(name);
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs) as T;
}

/**
 * Frees what titok-js' kernels keep for weights that no longer exist (packed weight copies on
 * wasm); `TitokLayer.disposeAll` calls it.
 */
export function releaseKernelCaches(): void {
  const w = wasmInternals();
  if (w) pruneWasmWeightCache(w.backend);
}
