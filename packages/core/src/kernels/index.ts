export { useFastKernels, fastKernelsEnabled, runFastKernel, canRunFastKernels } from './fast-kernels.js';
export { ATTENTION_KERNEL, SIMD_ATTENTION_MAX_TOKENS, setSimdAttentionMaxTokens } from './wasm-attention.js';
export { GROUP_NORM_KERNEL } from './wasm-group-norm.js';
export { WASM_INTERNALS_VERSION, setWasmVersion } from './wasm-backend.js';
export { LINEAR_KERNEL, PACKED_WEIGHT_MAX_BYTES, setWasmWeightCache, wasmWeightCacheStats } from './wasm-linear.js';
export type { WasmWeightCacheOptions } from './wasm-linear.js';
export { GELU_KERNEL, SILU_KERNEL, LAYER_NORM_KERNEL } from './wasm-elementwise.js';
