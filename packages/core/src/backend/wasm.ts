import * as tf from '@tensorflow/tfjs-core';
import { BackendError, InputError } from '../errors/index.js';
import { isNode } from './env.js';
import { setWasmVersion } from '../kernels/wasm-backend.js';

interface WasmModule {
  setWasmPaths(prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
  version_wasm?: string;
}

/** Result of {@link activateWasm}. */
export interface WasmInfo {
  simd: boolean;
  threads: number;
  /** Why wasm runs with fewer threads than asked, when it does. */
  note?: string;
}

/** The most threads tfjs' wasm build starts (its pthread pool has 8 workers). */
const MAX_WASM_THREADS = 8;
/** How long a threaded start may take before titok-js gives up on threads. */
const THREADED_START_TIMEOUT_MS = 60_000;

/**
 * The thread count asked for: the `threads` option, else `TITOK_WASM_THREADS`; `'auto'` is the
 * number of CPUs this process may use (at most 8). Undefined when neither is set.
 *
 * @throws InputError for a value that is neither `'auto'` nor a positive integer
 */
export function resolveWasmThreads(
  option: number | 'auto' | undefined,
  env: Record<string, string | undefined>,
  cpus: () => number,
): number | undefined {
  const raw: unknown = option ?? (env.TITOK_WASM_THREADS?.trim() || undefined);
  if (raw === undefined) return undefined;
  const what = option !== undefined ? 'threads' : 'TITOK_WASM_THREADS';
  if (typeof raw === 'string' && raw.toLowerCase() === 'auto') return Math.max(1, Math.min(MAX_WASM_THREADS, cpus()));
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${what} must be 'auto' or a positive integer, got ${JSON.stringify(raw)}`);
  return Math.min(MAX_WASM_THREADS, n);
}

async function setBackendWithin(ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([tf.setBackend('wasm'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Forgets a failed wasm start so that the next `setBackend('wasm')` starts afresh. */
function resetWasmRegistration(factory: { factory: () => tf.KernelBackend | Promise<tf.KernelBackend>; priority: number } | undefined): void {
  if (!factory) return;
  try {
    tf.removeBackend('wasm');
  } catch {
    // not registered any more
  }
  tf.registerBackend('wasm', factory.factory, factory.priority);
}

/**
 * Node: starts tfjs' threaded SIMD build with `threads` threads through the worker_threads shim
 * (`node-wasm-threads.ts`). Returns undefined when it runs, else why not; the wasm backend is
 * then left registered for a single-threaded start.
 */
async function startThreadedInNode(mod: WasmModule, threads: number): Promise<string | undefined> {
  const { prepareNodeWasmThreads } = await import('./node-wasm-threads.js');
  const prep = prepareNodeWasmThreads(mod.version_wasm ?? 'unknown', threads);
  if (!prep.ok) return prep.reason;
  const engine = tf.engine() as unknown as { registryFactory: Record<string, { factory: () => tf.KernelBackend; priority: number }> };
  const factory = engine.registryFactory.wasm;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  mod.setThreadsCount(threads);
  let reason: string | undefined;
  try {
    const ok = await setBackendWithin(THREADED_START_TIMEOUT_MS);
    const { workerError } = prep.state();
    if (!ok || workerError) reason = `the threaded wasm build did not start${workerError ? `: ${workerError.message}` : ''}`;
  } catch (e) {
    reason = `the threaded wasm build did not start: ${(e as Error)?.message ?? e}`;
  } finally {
    prep.done();
  }
  if (reason !== undefined) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    mod.setThreadsCount(1);
    resetWasmRegistration(factory);
  }
  return reason;
}

/**
 * Activates tfjs' wasm backend. tfjs picks the binary itself: SIMD when the engine validates
 * SIMD code, threaded SIMD when threads work too (a cross-origin-isolated page). In Node, tfjs
 * never uses threads; with `threads` (or `TITOK_WASM_THREADS`) above 1, titok-js starts the
 * threaded build under worker_threads instead, falling back to one thread (with a `note`) if
 * that fails. Threads are fixed when the backend first starts. In Node the binaries are read
 * from the package's own `dist/`; in browsers from `wasmPaths`.
 */
export async function activateWasm(options: {
  wasmPaths?: string | Record<string, string>;
  numThreads?: number;
  threads?: number | 'auto';
  env?: Record<string, string | undefined>;
}): Promise<WasmInfo> {
  let mod: WasmModule;
  try {
    mod = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmModule;
  } catch (e) {
    throw new BackendError(`@tensorflow/tfjs-backend-wasm could not be loaded: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  setWasmVersion(mod.version_wasm);
  const node = isNode();
  let cpus = () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1;
  if (node) cpus = (await import('./node-wasm-threads.js')).availableCpus;
  const wanted = resolveWasmThreads(options.threads ?? options.numThreads, options.env ?? {}, cpus);
  const alreadyUp = tf.engine().registry.wasm !== undefined;
  let note: string | undefined;
  if (!alreadyUp) {
    if (options.wasmPaths !== undefined) mod.setWasmPaths(options.wasmPaths);
    if (node && wanted !== undefined && wanted > 1) {
      const why = await startThreadedInNode(mod, wanted);
      if (why !== undefined) note = `wasm runs on 1 thread: ${why}`;
    } else if (wanted !== undefined) mod.setThreadsCount(wanted);
  }
  let ok = false;
  let cause: unknown;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    cause = e;
  }
  if (!ok) {
    const where = options.wasmPaths === undefined ? '' : ` from ${JSON.stringify(options.wasmPaths)}`;
    throw new BackendError(
      `the wasm backend failed to start${where}` +
        (cause ? `: ${(cause as Error)?.message ?? cause}` : ' (tf.setBackend returned false: are the .wasm files served? see setWasmPaths)'),
      { cause },
    );
  }
  const [simd, threadsSupported] = await Promise.all([
    tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as Promise<boolean>,
    tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') as Promise<boolean>,
  ]);
  let threads = 1;
  if (threadsSupported) {
    try {
      threads = Math.max(1, mod.getThreadsCount());
    } catch {
      threads = 1;
    }
  }
  if (note === undefined && wanted !== undefined && threads < wanted) {
    note = alreadyUp
      ? `wasm runs on ${threads} thread${threads === 1 ? '' : 's'}: the backend had already started, and threads are fixed when it starts`
      : `wasm runs on ${threads} thread${threads === 1 ? '' : 's'} of the ${wanted} asked for`;
  }
  return note === undefined ? { simd: !!simd, threads } : { simd: !!simd, threads, note };
}

/** Activates tfjs' pure-JavaScript cpu backend. */
export async function activateCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  let ok = false;
  try {
    ok = await tf.setBackend('cpu');
  } catch (e) {
    throw new BackendError(`the cpu backend failed to start: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  if (!ok) throw new BackendError('the cpu backend failed to start (tf.setBackend returned false)');
}
