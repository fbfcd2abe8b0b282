/**
 * titok-js' own kernels for tfjs-backend-wasm, registered on first use, and the switch that
 * turns them off (for A/B benchmarks and debugging).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ATTENTION_KERNEL, wasmAttention } from './wasm-attention.js';
import { GROUP_NORM_KERNEL, wasmGroupNorm } from './wasm-group-norm.js';
import { LINEAR_KERNEL, pruneWasmWeightCache, wasmLinear } from './wasm-linear.js';
import { isTapeOn, wasmInternals } from './wasm-backend.js';
import type { WasmBackendLike } from './wasm-backend.js';

let enabled = true;

/**
 * Turns titok-js' fast wasm kernels (linear layers within the heap, fused attention, GroupNorm)
 * on or off; on by default.
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

const IMPLS: Record<string, KernelImpl> = {
  [ATTENTION_KERNEL]: (backend, inputs, attrs) => wasmAttention(backend, wasmInternals()!.f, inputs.qkv!, attrs.numHeads as number),
  [LINEAR_KERNEL]: (backend, inputs) => wasmLinear(backend, wasmInternals()!.f, inputs.x!, inputs.weight!, inputs.bias),
  [GROUP_NORM_KERNEL]: (backend, inputs, attrs) =>
    wasmGroupNorm(backend, inputs.x!, inputs.gamma!, inputs.beta!, attrs.numGroups as number, attrs.eps as number),
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
