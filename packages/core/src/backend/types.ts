/** A backend titok-js can run on. */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';

/** What a caller may ask for: a backend, or `'auto'` to take the best one available. */
export type BackendRequest = BackendName | 'auto';

/** Every accepted value of {@link BackendRequest}, in the order `'auto'` tries them. */
export const BACKEND_NAMES: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm', 'cpu'];

/** Where the request came from. */
export type BackendRequestSource = 'option' | 'env' | 'default';

/** The WebGPU adapter a `webgpu` backend runs on, as the adapter describes itself. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /**
   * True for a software (fallback) adapter such as SwiftShader: correct but slow, so `'auto'`
   * skips it unless {@link SelectBackendOptions.allowFallbackAdapter} is set.
   */
  isFallbackAdapter: boolean;
  /** Whether the adapter offers the `shader-f16` feature (half-precision shaders). */
  shaderF16: boolean;
}

/** A backend that `'auto'` tried and passed over, and why. */
export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

/** What {@link selectBackend} chose. */
export interface BackendInfo {
  /** The active TensorFlow.js backend. */
  backend: BackendName;
  /** What was asked for (after the `TITOK_BACKEND` override). */
  requested: BackendRequest;
  /** Whether the request came from the options, the `TITOK_BACKEND` variable or the default. */
  source: BackendRequestSource;
  /** wasm: whether the SIMD binary runs. Always false for other backends. */
  simd: boolean;
  /** wasm: the number of threads of the wasm thread pool (1 without threads). Otherwise 1. */
  threads: number;
  /**
   * wasm: why it runs with fewer threads than asked for (the threaded build could not start in
   * this Node process, the backend had already started, ...). Absent when nothing to say.
   */
  note?: string;
  /** webgpu: the adapter. */
  adapter?: AdapterDescription;
  /** `'auto'`: the better backends that were not available, with the reason. */
  skipped: SkippedBackend[];
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * The backend to use; `'auto'` (the default) takes WebGPU when a hardware adapter is
   * available, else WASM, else CPU. In Node the `TITOK_BACKEND` environment variable
   * overrides `'auto'` (an explicit backend here wins over the variable).
   */
  backend?: BackendRequest;
  /**
   * Also let `'auto'` take a software (fallback) WebGPU adapter such as SwiftShader. Off by
   * default: such adapters are far slower than WASM. An explicit `'webgpu'` always accepts them.
   */
  allowFallbackAdapter?: boolean;
  /** WebGPU power preference (default `'high-performance'`). */
  powerPreference?: 'high-performance' | 'low-power';
  /**
   * wasm: where the `.wasm` binaries are served, passed to tfjs' `setWasmPaths` (a folder URL
   * ending in `/`, or a map from file name to URL). Node finds them in the package itself;
   * browser bundles must set this (see the README).
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * wasm: threads of the wasm thread pool, or `'auto'` for one per CPU this process may use (at
   * most 8). In browsers tfjs runs threads on cross-origin-isolated pages and this sets its
   * pool size (default: half the reported cores). In Node, where tfjs never uses threads, a
   * value above 1 starts tfjs' threaded SIMD build under `worker_threads` (checked with
   * tfjs-backend-wasm 4.22.0; if it cannot start, wasm runs on one thread and `note` says why).
   * Default: `TITOK_WASM_THREADS` (Node), else 1 thread in Node and tfjs' default in browsers.
   * Threads are fixed when the wasm backend first starts.
   */
  threads?: number | 'auto';
  /** wasm: the same as {@link SelectBackendOptions.threads} (kept for compatibility). */
  numThreads?: number;
  /** Node: extra flags for Dawn's `create()` (npm `webgpu`), e.g. `['backend=vulkan']`. */
  dawnFlags?: string[];
  /** Environment to read `TITOK_BACKEND` from (defaults to `process.env` in Node). */
  env?: Record<string, string | undefined>;
}
