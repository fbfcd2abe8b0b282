/**
 * tfjs-backend-wasm's threaded build in Node (worker_threads shim): the `threads` option and
 * TITOK_WASM_THREADS, results equal to one thread's, and idle pool threads that let a process
 * exit. (One backend start per test file: threads are fixed when wasm first starts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors/index.js';
import { packedAttention } from '../layers/attention.js';
import { useFastKernels } from '../kernels/fast-kernels.js';
import { describeBackend, selectBackend } from './select-backend.js';
import { resolveWasmThreads } from './wasm.js';
import { WASM_THREADS_CHECKED_VERSION, prepareNodeWasmThreads } from './node-wasm-threads.js';

describe('resolveWasmThreads', () => {
  const cpus = () => 6;
  it("reads the option, then TITOK_WASM_THREADS; 'auto' is the CPU count, at most 8", () => {
    expect(resolveWasmThreads(undefined, {}, cpus)).toBeUndefined();
    expect(resolveWasmThreads(3, { TITOK_WASM_THREADS: '2' }, cpus)).toBe(3);
    expect(resolveWasmThreads(undefined, { TITOK_WASM_THREADS: ' 2 ' }, cpus)).toBe(2);
    expect(resolveWasmThreads('auto', {}, cpus)).toBe(6);
    expect(resolveWasmThreads(undefined, { TITOK_WASM_THREADS: 'AUTO' }, () => 64)).toBe(8);
    expect(resolveWasmThreads(12, {}, cpus)).toBe(8);
  });

  it('refuses anything else with a one-line InputError', () => {
    expect(() => resolveWasmThreads(0, {}, cpus)).toThrow(InputError);
    expect(() => resolveWasmThreads(1.5, {}, cpus)).toThrow("threads must be 'auto' or a positive integer, got 1.5");
    expect(() => resolveWasmThreads(undefined, { TITOK_WASM_THREADS: 'many' }, cpus)).toThrow(/^TITOK_WASM_THREADS must be 'auto'/);
  });
});

describe('prepareNodeWasmThreads', () => {
  it('declines another tfjs-backend-wasm version than the one it was checked with', () => {
    const r = prepareNodeWasmThreads('4.23.0', 2);
    expect(r).toEqual({ ok: false, reason: `the Node wasm threads shim was checked with @tensorflow/tfjs-backend-wasm ${WASM_THREADS_CHECKED_VERSION}, not 4.23.0` });
  });
});

describe('wasm with 2 threads in Node', () => {
  it('starts the threaded SIMD build and reports it', async () => {
    const info = await selectBackend({ backend: 'wasm', threads: 2, env: {} });
    expect(info).toMatchObject({ backend: 'wasm', simd: true, threads: 2 });
    expect(info.note).toBeUndefined();
    expect(describeBackend(info)).toBe('wasm (SIMD, 2 threads)');
    // asking again for another count: the pool is already running
    const again = await selectBackend({ backend: 'wasm', threads: 4, env: {} });
    expect(again.threads).toBe(2);
    expect(again.note).toMatch(/already started, and threads are fixed when it starts/);
  });

  it('multiplies like a float64 reference (a product large enough to be split over the threads)', async () => {
    const [m, k, n] = [96, 300, 200];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
    const got = await y.data();
    y.dispose();
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a[i * k + t]! * b[t * n + j]!;
        worst = Math.max(worst, Math.abs(got[i * n + j]! - s));
      }
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it("titok-js' fused attention gives the stock ops' result on the threaded build", async () => {
    const qkv = tf.randomNormal([2, 37, 3 * 32], 0, 1, 'float32', 7) as tf.Tensor3D;
    const fast = packedAttention(qkv, 4);
    useFastKernels(false);
    const stock = packedAttention(qkv, 4);
    useFastKernels(true);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(fast, stock))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([qkv, fast, stock]);
  });
});

describe('a Node process with wasm threads', () => {
  it('exits by itself when its work is done (idle pool threads do not keep it alive)', () => {
    // The shim compiled to CommonJS, driven the way activateWasm drives it, in a child process.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-threads-'));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const swc = require('@swc/core') as typeof import('@swc/core');
      const src = fs.readFileSync(path.join(__dirname, 'node-wasm-threads.ts'), 'utf8');
      const js = swc.transformSync(src, { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }).code;
      fs.writeFileSync(path.join(dir, 'shim.cjs'), js);
      const script = `
        const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});
        const wasm = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-wasm'))});
        const { prepareNodeWasmThreads } = require('./shim.cjs');
        const prep = prepareNodeWasmThreads(wasm.version_wasm, 2);
        if (!prep.ok) throw new Error(prep.reason);
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
        wasm.setThreadsCount(2);
        tf.setBackend('wasm').then(async (ok) => {
          prep.done();
          const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
          console.log('ok', ok, 'threads', wasm.getThreadsCount(), 'value', (await y.data())[0]);
        });`;
      fs.writeFileSync(path.join(dir, 'main.cjs'), script);
      const r = spawnSync(process.execPath, ['main.cjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      expect(r.error).toBeUndefined(); // a hang would be killed by the timeout and reported here
      expect(r.stdout.trim()).toBe('ok true threads 2 value 64');
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
