/**
 * Node only: tfjs-backend-wasm's threaded SIMD build under `worker_threads`.
 *
 * tfjs turns wasm threads off in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false when `IS_NODE`),
 * yet the threaded binary runs there once three browser assumptions of its Emscripten glue are
 * met: its pthread workers are created from `blob:` URLs (which `worker_threads` cannot load),
 * the worker script imports the main script from a `blob:` URL, and the main script's code refers
 * to the bundle's module-level names (`require$$0`, ..., `commonjsGlobal`). This file records the
 * text of those two blobs when tfjs creates them, and replaces the global `Worker` the glue uses
 * with a `worker_threads.Worker` that evaluates the recorded worker script after a prelude
 * defining those names and an `importScripts` that evaluates the recorded main script. The C++
 * side caps the pool at `emscripten_num_logical_cores() / 2` (= `os.cpus().length / 2` in
 * Node, read while the module is instantiated), so the CPU count is reported as at least twice
 * the thread count during initialisation. Once the backend has started, the workers are
 * `unref()`ed: idle pool threads never keep a process alive.
 *
 * Checked against one tfjs-backend-wasm version ({@link WASM_THREADS_CHECKED_VERSION}); with any
 * other version, or when a check fails, {@link prepareNodeWasmThreads} declines and the caller
 * stays single-threaded. Browser bundles replace this file with `node-wasm-threads-stub.ts`.
 */
import os from 'node:os';
import { Worker as ThreadWorker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

/** The tfjs-backend-wasm version whose glue this shim was checked against. */
export const WASM_THREADS_CHECKED_VERSION = '4.22.0';

/** The start of the main-script blob tfjs creates for its pthread workers. */
const MAIN_PREFIX = 'var WasmBackendModuleThreadedSimd';
/** Text the pthread worker script tfjs creates contains (it starts the module with it). */
const WORKER_MARK = 'WasmBackendModuleThreadedSimd(Module)';

/** What the worker needs before tfjs' worker script runs (kept small: it is evaluated per worker). */
const PRELUDE =
  "'use strict';const __wt=require('worker_threads');" +
  "Object.assign(global,{require$$0:require('fs'),require$$1:require('path'),require$$3:require('perf_hooks'),require$$4:require('os'),commonjsGlobal:global});" +
  'let __imp;Object.defineProperty(global,"importScripts",{configurable:true,get(){return __imp},' +
  "set(v){__imp=(f)=>(typeof f==='string'&&f.startsWith('blob:'))?(0,eval)(__wt.workerData.titokMainScript):v(f)}});\n";

interface ShimState {
  mainScript?: string;
  urlText: Map<string, string>;
  /** The first error a shim worker reported (the glue would throw it from an event handler). */
  workerError?: Error;
  workers: number;
  /** While the backend starts, workers keep the process alive (its start waits on their messages). */
  holding: boolean;
  live: Set<ThreadWorker>;
}

let state: ShimState | undefined;

/** A minimal threads program (an atomic load on a shared memory): validates when the engine has wasm threads. */
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

function install(): ShimState {
  if (state) return state;
  const s: ShimState = { urlText: new Map(), workers: 0, holding: false, live: new Set() };
  const NativeBlob = globalThis.Blob;
  const texts = new WeakMap<object, string>();
  class RecordingBlob extends NativeBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (Array.isArray(parts) && parts.length > 0 && parts.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        if (text.startsWith(MAIN_PREFIX)) {
          s.mainScript = text;
          texts.set(this, text);
        } else if (text.includes(WORKER_MARK)) texts.set(this, text);
      }
    }
  }
  const createObjectURL = URL.createObjectURL.bind(URL);
  const revokeObjectURL = URL.revokeObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) => {
    const url = createObjectURL(obj);
    const text = texts.get(obj);
    if (text !== undefined) s.urlText.set(url, text);
    return url;
  };
  URL.revokeObjectURL = (url: string) => {
    s.urlText.delete(url);
    revokeObjectURL(url);
  };
  class ShimWorker extends ThreadWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const code = typeof url === 'string' ? s.urlText.get(url) : undefined;
      if (code === undefined) {
        super(url, options);
        return;
      }
      if (s.mainScript === undefined) throw new Error('wasm threads shim: the main script blob was not recorded');
      super(PRELUDE + code, { ...options, eval: true, workerData: { titokMainScript: s.mainScript } });
      s.workers++;
      s.live.add(this);
      this.once('exit', () => s.live.delete(this));
      if (!s.holding) super.unref();
    }

    // Emscripten refs a worker while a pthread runs on it, and XNNPACK's pool threads run for
    // good: once the backend has started, idle pool threads must not keep the process alive.
    override ref(): void {
      if (s.holding) super.ref();
    }

    override unref(): void {
      if (!s.holding) super.unref();
    }

    override on(event: string | symbol, listener: (...args: any[]) => void): this {
      if (event !== 'error') return super.on(event, listener);
      // The glue rethrows worker errors from the handler (an uncaught exception): record instead.
      return super.on(event, (e: Error) => {
        s.workerError ??= e instanceof Error ? e : new Error(String(e));
      });
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  // The glue assigns worker_threads' Worker to the global; keep ours in place.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => ShimWorker, set: () => {} });
  state = s;
  return s;
}

/** Result of {@link prepareNodeWasmThreads}. */
export type NodeThreadsPrep =
  | { ok: true; /** Call once the backend is up (or failed): stops over-reporting CPUs. */ done(): void; state(): { workerError?: Error; workers: number } }
  | { ok: false; reason: string };

/**
 * Prepares tfjs-backend-wasm `version` to start its threaded SIMD build with `threads` threads
 * in this Node process, before the backend is initialised. The caller then sets tfjs'
 * `WASM_HAS_MULTITHREAD_SUPPORT` flag and thread count, initialises the backend and calls
 * `done()`. Declines (with the reason) for another tfjs-backend-wasm version, or an engine
 * without shared memory or wasm threads.
 */
export function prepareNodeWasmThreads(version: string, threads: number): NodeThreadsPrep {
  if (version !== WASM_THREADS_CHECKED_VERSION) {
    return { ok: false, reason: `the Node wasm threads shim was checked with @tensorflow/tfjs-backend-wasm ${WASM_THREADS_CHECKED_VERSION}, not ${version}` };
  }
  if (typeof SharedArrayBuffer !== 'function') return { ok: false, reason: 'SharedArrayBuffer is not available' };
  if (!WebAssembly.validate(THREADS_PROBE)) return { ok: false, reason: 'this engine has no WebAssembly threads' };
  if (typeof globalThis.Blob !== 'function' || typeof URL.createObjectURL !== 'function') {
    return { ok: false, reason: 'Blob URLs are not available' };
  }
  const s = install();
  s.workerError = undefined;
  s.holding = true;
  const realCpus = os.cpus;
  const want = Math.max(2, 2 * threads);
  os.cpus = () => {
    const cpus = realCpus.call(os);
    const model = cpus[0] ?? { model: 'cpu', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };
    while (cpus.length < want) cpus.push(model);
    return cpus;
  };
  return {
    ok: true,
    done: () => {
      os.cpus = realCpus;
      s.holding = false;
      for (const w of s.live) w.unref();
    },
    state: () => ({ workerError: s.workerError, workers: s.workers }),
  };
}

/** The number of CPUs this process may use (`os.availableParallelism()`). */
export function availableCpus(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
