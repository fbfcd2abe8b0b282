#!/usr/bin/env node
/**
 * titok-js benchmarks (issue 7). Needs a build (`npm run build`).
 *
 *   npm run bench -- [--preset P]... [--stage encode|decode|reconstruct|generator-step|generate]...
 *                    [--backend wasm|cpu|webgpu]... [--batch N]... [--runs N] [--json FILE]
 *                    [--threads N|auto]... [--budget-s S] [--no-micro] [--slow-kernels]
 *   npm run bench -- io-memory [...]     peak RSS of titok inspect/convert (bench/io-memory.mjs)
 *   npm run bench -- browser [...]       the same in Chromium (bench/browser.mjs)
 *
 * Without arguments: the released tokenizers titok_s128, titok_b64, titok_l32, titok_bl64_vq8k
 * (encode, decode, reconstruct) and the three generators (one guided step, a full generation),
 * batch 1 and 4, on wasm (threads: 'auto') and on webgpu when a hardware adapter exists; plus
 * micro-benchmarks. Random weights of the released shapes, fixed seeds. Every preset runs in its
 * own process, which also measures the large matmul before and after its rows: `matmul_gflops`
 * of a row is that process's median, so `efficiency` = gflops / matmul_gflops compares numbers
 * taken minutes apart on the same (shared) machine. Prints a table; `--json FILE` writes the
 * rows ({preset, stage, backend, batch, ms_per_image, gflops, matmul_gflops, peak_rss_mb, runs,
 * ...}) as a JSON list.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, commonArgs, list } from './lib/args.mjs';
import { defaultJobs, microShapes } from './lib/plan.mjs';
import { printTable } from './lib/table.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

const sub = process.argv[2];
if (sub === 'io-memory' || sub === 'browser') {
  const r = spawnSync(process.execPath, [path.join(HERE, `${sub}.mjs`), ...process.argv.slice(3)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { values } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    threads: { type: 'string', multiple: true },
    'no-micro': { type: 'boolean', default: false },
    'slow-kernels': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: false,
});

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

if (values.help) {
  process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
  process.exit(0);
}
if (!fs.existsSync(path.join(ROOT, 'packages/generator/dist/index.js'))) fail('the packages are not built: run `npm run build` first');

const { presets, stages, backendsAsked, batches, runs, budgetS } = commonArgs(values, fail);
const threads = list(values.threads);
for (const t of threads) if (t !== 'auto' && !/^[1-8]$/.test(t)) fail(`--threads takes 'auto' or 1..8, got '${t}'`);

/** Runs one job in a child process; resolves to its rows. */
function runJob(job) {
  return new Promise((resolve) => {
    const env = { ...process.env };
    if (values['slow-kernels']) env.TITOK_BENCH_SLOW_KERNELS = '1';
    const child = spawn(process.execPath, ['--max-old-space-size=8192', path.join(HERE, 'lib/job.mjs'), JSON.stringify(job)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const rows = [];
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('ROW ')) {
          const row = JSON.parse(line.slice(4));
          rows.push(row);
          printTable([row], { header: false });
        } else if (line.trim()) process.stdout.write(`  ${line}\n`);
      }
    });
    child.stderr.on('data', (d) => process.stderr.write(`  [${job.preset ?? job.kind} ${job.backend}] ${d}`));
    child.on('close', (code) => {
      if (code !== 0) process.stderr.write(`  job ${job.preset ?? job.kind} on ${job.backend} exited with code ${code}\n`);
      resolve(rows);
    });
  });
}

function hardwareWebGPU() {
  const probe = "import('@titok/core').then(async (c) => { const i = await c.selectBackend({ backend: 'auto' }); console.log(i.backend); await c.releaseBackend(); })";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TITOK_BACKEND: '' } });
  return r.stdout.trim().split('\n').pop() === 'webgpu';
}

const backends = backendsAsked.length ? backendsAsked : hardwareWebGPU() ? ['wasm', 'webgpu'] : ['wasm'];
const jobs = defaultJobs({ presets, stages, batches, backends, threads, runs, budgetS });
if (!jobs.length) fail('nothing to run for these options');

process.stdout.write(`titok-js bench: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}\n`);
printTable([], { header: true });
const all = [];
for (const job of jobs) all.push(...(await runJob(job)));
if (!values['no-micro']) {
  for (const backend of backends) {
    for (const t of threads.length && backend === 'wasm' ? threads : ['auto']) {
      all.push(...(await runJob({ kind: 'micro', backend, threads: t === 'auto' ? 'auto' : Number(t), runs, budgetS, micro: microShapes(jobs, backend) })));
    }
  }
}
process.stdout.write('\n');
printTable(all, { header: true });
if (values.json) {
  fs.mkdirSync(path.dirname(path.resolve(values.json)), { recursive: true });
  fs.writeFileSync(values.json, `${JSON.stringify(all, null, 1)}\n`);
  process.stdout.write(`wrote ${all.length} rows to ${values.json}\n`);
}
