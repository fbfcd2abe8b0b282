#!/usr/bin/env node
/**
 * One benchmark job in its own process (so that peak RSS, the wasm heap and load times belong
 * to one model): `node bench/lib/job.mjs '<job json>'`. Prints one `ROW {json}` line per result.
 *
 * Job: { kind: 'model' | 'micro', backend, threads, preset?, stages?, batches?, runs, budgetS,
 *        micro?: { attention: [[T, D, H, n], ...] } }
 */
import { describeBackend, selectBackend, releaseBackend, useFastKernels } from '@titok/core';
import { matmulGflops, microRows, setMatmulShape } from './micro.mjs';
import { modelRows } from './stages.mjs';

const job = JSON.parse(process.argv[2]);
const emit = (row) => process.stdout.write(`ROW ${JSON.stringify(row)}\n`);

async function main() {
  if (process.env.TITOK_BENCH_SLOW_KERNELS) useFastKernels(false);
  const t0 = performance.now();
  const info = await selectBackend({ backend: job.backend, threads: job.backend === 'wasm' ? job.threads : undefined });
  const ctx = {
    backend: job.backend,
    threads: info.threads,
    backendText: describeBackend(info),
    note: info.note,
    initMs: performance.now() - t0,
    runs: job.runs,
    budgetS: job.budgetS,
    emit,
    fastKernels: !process.env.TITOK_BENCH_SLOW_KERNELS,
  };
  if (info.note) process.stderr.write(`note: ${info.note}\n`);
  // a software adapter (SwiftShader, ~0.25 GFLOP/s) would take minutes per large product
  if (info.adapter?.isFallbackAdapter) {
    setMatmulShape([256, 1024, 256]);
    process.stderr.write(`note: ${ctx.backendText}: the matmul micro-benchmark is 256x1024 @ 1024x256\n`);
  }
  // The backend's best case, measured in this process around the model rows.
  const mmBefore = await matmulGflops(job.backend === 'webgpu' ? 1 : 3);
  ctx.matmulSamples = [...mmBefore];
  if (job.kind === 'micro') await microRows(ctx, job.micro);
  else await modelRows(ctx, job);
  await releaseBackend();
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
