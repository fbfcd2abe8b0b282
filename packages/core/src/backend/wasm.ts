import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors/index.js';

interface WasmModule {
  setWasmPaths(prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** Result of {@link activateWasm}. */
export interface WasmInfo {
  simd: boolean;
  threads: number;
}

/**
 * Activates tfjs' wasm backend. tfjs picks the binary itself: SIMD when the engine validates
 * SIMD code, threaded SIMD when threads work too (a cross-origin-isolated page; never in Node).
 * In Node the binaries are read from the package's own `dist/`; in browsers from `wasmPaths`.
 */
export async function activateWasm(options: {
  wasmPaths?: string | Record<string, string>;
  numThreads?: number;
}): Promise<WasmInfo> {
  let mod: WasmModule;
  try {
    mod = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmModule;
  } catch (e) {
    throw new BackendError(`@tensorflow/tfjs-backend-wasm could not be loaded: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  const alreadyUp = tf.engine().registry.wasm !== undefined;
  if (!alreadyUp) {
    if (options.wasmPaths !== undefined) mod.setWasmPaths(options.wasmPaths);
    if (options.numThreads !== undefined) mod.setThreadsCount(options.numThreads);
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
  return { simd: !!simd, threads };
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
