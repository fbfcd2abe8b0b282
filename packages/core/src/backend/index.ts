export { selectBackend, describeBackend, currentBackend, releaseBackend } from './select-backend.js';
export { BACKEND_NAMES } from './types.js';
export type {
  AdapterDescription,
  BackendInfo,
  BackendName,
  BackendRequest,
  BackendRequestSource,
  SelectBackendOptions,
  SkippedBackend,
} from './types.js';
export {
  useFastKernels,
  fastKernelsEnabled,
  canRunFastKernels,
  runFastKernel,
  setWasmWeightCache,
  setSimdAttentionMaxTokens,
  wasmWeightCacheStats,
  ATTENTION_KERNEL,
  GROUP_NORM_KERNEL,
  LINEAR_KERNEL,
  WASM_INTERNALS_VERSION,
} from '../kernels/index.js';
export type { WasmWeightCacheOptions } from '../kernels/index.js';
