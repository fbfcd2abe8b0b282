/**
 * Browser stand-in for `node-wasm-threads.ts` (mapped by the package.json `browser` field):
 * browsers run tfjs' threaded wasm build natively on cross-origin-isolated pages.
 */
export const WASM_THREADS_CHECKED_VERSION = '4.22.0';

export type NodeThreadsPrep =
  | { ok: true; done(): void; state(): { workerError?: Error; workers: number } }
  | { ok: false; reason: string };

export function prepareNodeWasmThreads(_version: string, _threads: number): NodeThreadsPrep {
  return { ok: false, reason: 'not Node' };
}

export function availableCpus(): number {
  return typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
}
