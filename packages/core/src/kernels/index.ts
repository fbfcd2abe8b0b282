export { useFastKernels, fastKernelsEnabled, runFastKernel, canRunFastKernels } from './fast-kernels.js';
export { ATTENTION_KERNEL } from './wasm-attention.js';
export { GROUP_NORM_KERNEL } from './wasm-group-norm.js';
export { WASM_INTERNALS_VERSION, setWasmVersion } from './wasm-backend.js';
export { LINEAR_KERNEL, PACKED_WEIGHT_MAX_BYTES, setWasmWeightCache, wasmWeightCacheStats } from './wasm-linear.js';
export type { WasmWeightCacheOptions } from './wasm-linear.js';
