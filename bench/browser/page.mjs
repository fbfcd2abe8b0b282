/**
 * The benchmark page (bundled by bench/browser.mjs): `titokBench(job)` runs one job like
 * bench/lib/job.mjs does in Node and returns its rows.
 */
import { describeBackend, selectBackend } from '@titok/core';
import { matmulGflops, microRows, setMatmulShape } from '../lib/micro.mjs';
import { modelRows } from '../lib/stages.mjs';

globalThis.titokBench = async (job) => {
  const rows = [];
  const t0 = performance.now();
  const info = await selectBackend({ backend: job.backend, wasmPaths: '/wasm/', threads: job.backend === 'wasm' ? job.threads : undefined, allowFallbackAdapter: true });
  if (job.matmulShape) setMatmulShape(job.matmulShape);
  const ctx = {
    backend: job.backend,
    threads: info.threads,
    backendText: describeBackend(info),
    initMs: performance.now() - t0,
    runs: job.runs,
    budgetS: job.budgetS,
    emit: (row) => rows.push({ ...row, env: 'chromium', cross_origin_isolated: globalThis.crossOriginIsolated === true }),
  };
  ctx.matmulSamples = await matmulGflops(job.backend === 'webgpu' ? 1 : 3);
  if (job.kind === 'micro') await microRows(ctx, job.micro);
  else await modelRows(ctx, job);
  return rows;
};
globalThis.titokBenchReady = true;
