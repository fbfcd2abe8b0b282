/** Timing, memory and row helpers shared by the benchmark jobs (Node and the browser page). */
import * as tf from '@tensorflow/tfjs-core';

/** A warning line on stderr (Node) or the console (browser). */
export function warn(message) {
  if (typeof process !== 'undefined' && process.stderr?.write) process.stderr.write(`${message}\n`);
  else console.warn(message);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Peak resident set of this process so far, MB (Node); in a browser, the JS heap in use (Chromium). */
export function peakRssMb() {
  if (typeof process !== 'undefined' && typeof process.resourceUsage === 'function') return process.resourceUsage().maxRSS / 1024;
  const mem = globalThis.performance?.memory;
  return mem ? mem.usedJSHeapSize / 2 ** 20 : null;
}

/** The wasm heap (the backend's linear memory, which only grows: its peak), MB; undefined off wasm. */
export function wasmHeapMb() {
  if (tf.getBackend() !== 'wasm') return undefined;
  const heap = tf.backend().wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength / 2 ** 20 : undefined;
}

/**
 * Runs `fn` (async; it must read its results back, so that the work is done) once under
 * tf.profile (warm-up: XNNPACK packs weights, shaders compile; gives tfjs' peak bytes), then
 * `runs` times, fewer when one run takes long (`budgetS` seconds per row in all).
 */
export async function timeRuns(fn, runs, budgetS, matmul) {
  const t0 = performance.now();
  let peakBytes = 0;
  const prof = await tf.profile(async () => {
    await fn();
  });
  peakBytes = prof.peakBytes;
  const firstMs = performance.now() - t0;
  const n = Math.max(1, Math.min(runs, Math.floor((budgetS * 1000) / Math.max(firstMs, 1))));
  const times = [];
  const matmulSamples = [];
  for (let i = 0; i < n; i++) {
    // the backend's best case right before each run: the machine is shared, its speed drifts
    if (matmul) matmulSamples.push(await matmul());
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  if (matmul) matmulSamples.push(await matmul());
  return { times, firstMs, peakBytes, matmulSamples };
}

/** One result row. `flopsPerImage` from the analytic counters; `ctx` carries the job's matmul samples. */
export function makeRow(ctx, { preset, stage, batch, times, firstMs, peakBytes, flopsPerImage, loadMs, buildMs, matmulSamples, extra = {} }) {
  const med = median(times);
  // the row's own matmul samples (taken between its runs) when there are some, else the job's
  const mm = median(matmulSamples?.length ? matmulSamples : ctx.matmulSamples);
  const gflops = flopsPerImage ? (flopsPerImage * batch) / med / 1e6 : null;
  return {
    preset,
    stage,
    backend: ctx.backend,
    batch,
    ms_per_image: round(med / batch),
    gflops: gflops === null ? null : round(gflops),
    matmul_gflops: round(mm),
    peak_rss_mb: round(peakRssMb()),
    runs: times.length,
    threads: ctx.threads,
    backend_text: ctx.backendText,
    efficiency: gflops === null ? null : round(gflops / mm, 3),
    ms_median: round(med),
    ms_min: round(Math.min(...times)),
    ms_max: round(Math.max(...times)),
    spread_pct: round((100 * (Math.max(...times) - Math.min(...times))) / med),
    first_ms: round(firstMs),
    flops_per_image: flopsPerImage ?? null,
    backend_peak_mb: peakBytes === undefined ? null : round(peakBytes / 2 ** 20),
    wasm_heap_mb: wasmHeapMb() === undefined ? null : round(wasmHeapMb()),
    load_ms: loadMs === undefined ? null : round(loadMs),
    build_ms: buildMs === undefined ? null : round(buildMs),
    matmul_gflops_job: round(median(ctx.matmulSamples)),
    ...extra,
  };
}

export function round(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
