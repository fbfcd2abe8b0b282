#!/usr/bin/env node
/**
 * The benchmark in Chromium (Debian's /usr/bin/chromium through playwright-core): wasm threaded
 * SIMD on a cross-origin-isolated page served from 127.0.0.1, and webgpu (SwiftShader here:
 * software, ~0.25 GFLOP/s, so only micro-benchmarks and small stages by default).
 *
 *   npm run bench -- browser [--preset P]... [--stage S]... [--backend wasm|webgpu]...
 *                            [--batch N]... [--runs N] [--threads N] [--budget-s S] [--json FILE]
 *
 * Default: wasm (2 threads: the page reports 2 x threads cores, as tfjs starts half of
 * navigator.hardwareConcurrency) with titok_s128 encode/decode at batch 1 plus the
 * micro-benchmarks; webgpu with the micro-benchmarks at a reduced size.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, commonArgs } from './lib/args.mjs';
import { defaultJobs, microShapes } from './lib/plan.mjs';
import { printTable } from './lib/table.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const require = createRequire(import.meta.url);

const { values } = parseArgs({ options: { ...COMMON_OPTIONS, threads: { type: 'string', default: '2' } } });
function fail(message) {
  process.stderr.write(`bench browser: ${message}\n`);
  process.exit(2);
}
const { presets, stages, backendsAsked, batches, runs, budgetS } = commonArgs(values, fail, ['wasm', 'webgpu']);
const threads = Number(values.threads);
if (!Number.isInteger(threads) || threads < 1 || threads > 8) fail('--threads takes 1..8');
const backends = backendsAsked.length ? backendsAsked : ['wasm', 'webgpu'];

async function bundle(outdir) {
  const esbuild = require('esbuild');
  const alias = Object.fromEntries(['core', 'io', 'tokenizer', 'generator'].map((p) => [`@titok/${p}`, path.join(ROOT, 'packages', p, 'src', 'index.ts')]));
  await esbuild.build({
    entryPoints: { main: path.join(HERE, 'browser/page.mjs') },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    target: 'chrome120',
    alias,
    external: ['node:*', 'module', 'webgpu'],
    logLevel: 'error',
  });
  fs.writeFileSync(path.join(outdir, 'index.html'), '<!DOCTYPE html><meta charset="utf-8"><title>titok-js bench</title><script type="module" src="/main.js"></script>');
}

/** Puts tfjs' wasm binaries where the page's selectBackend looks for them (`/wasm/`). */
function copyWasm(dir) {
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  fs.mkdirSync(path.join(dir, 'wasm'));
  for (const f of fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmDir, f), path.join(dir, 'wasm', f));
}

function jobsFor(backend) {
  const isDefault = !presets.length && !stages.length;
  const jobs =
    backend === 'webgpu' && isDefault
      ? []
      : defaultJobs({
          presets: presets.length ? presets : ['titok_s128'],
          stages: stages.length ? stages : ['encode', 'decode'],
          batches: batches.length ? batches : [1],
          backends: [backend],
          threads: [String(threads)],
          runs,
          budgetS,
        });
  const micro = { kind: 'micro', backend, threads, runs, budgetS, micro: microShapes(jobs, backend) };
  if (backend === 'webgpu') {
    micro.matmulShape = [256, 1024, 256];
    micro.micro = { attention: [[65, 768, 12, 2]], conv: false };
    for (const j of jobs) j.matmulShape = [256, 1024, 256];
  }
  return [...jobs, micro];
}

const { launchChromium } = require('../apps/docs/scripts/chromium.cjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-bench-page-'));
let browser;
let server;
const all = [];
try {
  await bundle(dir);
  copyWasm(dir);
  // the docs' static server: COOP/COEP/CORP headers (cross-origin isolated: wasm threads)
  server = await require('../apps/docs/scripts/static-server.cjs').startStaticServer({ root: dir });
  // tfjs' wasm pool is capped at hardwareConcurrency / 2
  browser = await launchChromium({ profilePrefix: 'titok-bench-profile-', hardwareConcurrency: 2 * threads });
  printTable([], { header: true });
  for (const backend of backends) {
    for (const job of jobsFor(backend)) {
      // a fresh page per job: its own wasm heap and backend
      const page = await browser.context.newPage();
      page.on('console', (m) => m.type() === 'warning' && process.stderr.write(`  [page] ${m.text()}\n`));
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => globalThis.titokBenchReady === true);
      try {
        const rows = await page.evaluate((j) => globalThis.titokBench(j), job);
        printTable(rows, { header: false });
        all.push(...rows);
      } catch (e) {
        process.stderr.write(`  job ${job.preset ?? job.kind} on ${backend} failed: ${String(e?.message ?? e).split('\n')[0]}\n`);
      }
      await page.close();
    }
  }
} finally {
  await browser?.close();
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.stdout.write('\n');
printTable(all, { header: true });
if (values.json) {
  fs.writeFileSync(values.json, `${JSON.stringify(all, null, 1)}\n`);
  process.stdout.write(`wrote ${all.length} rows to ${values.json}\n`);
}
