#!/usr/bin/env node
/**
 * Peak memory of `titok inspect` and `titok convert` on a full-size checkpoint.
 *
 *   npm run build && node bench/io-memory.mjs [--manifest test/fixtures/manifests/titok_l32.json]
 *                                             [--dir /tmp] [--keep] [--json-out file.json]
 *
 * Makes a checkpoint with the manifest's keys and shapes and random data (TiTok-L-32: 692
 * tensors, 2.56 GB) as safetensors and as a torch.save zip (.bin) in a temporary folder, runs
 * the built CLI on them, samples each process's peak RSS (VmHWM in /proc/<pid>/status), prints
 * a table and JSON, and deletes everything it wrote. Targets (issue 2): inspect < 300 MB;
 * convert < largest tensor + one 4 MB shard + 300 MB. Linux only.
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    manifest: { type: 'string', default: path.join(ROOT, 'test/fixtures/manifests/titok_l32.json') },
    dir: { type: 'string', default: os.tmpdir() },
    keep: { type: 'boolean', default: false },
    'json-out': { type: 'string' },
  },
});
const dist = (p) => path.join(ROOT, 'packages/io/dist', p);
if (!fs.existsSync(dist('index.js')) || !fs.existsSync(path.join(ROOT, 'packages/cli/dist/bin.js'))) {
  console.error('bench/io-memory: build first (npx turbo run build --filter=@titok/cli...)');
  process.exit(2);
}
const { writeSafetensors, writeTorchZip } = await import(dist('index.js'));
const { fileSink } = await import(dist('node.js'));

const MB = 1024 * 1024;
const SIZES = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };
const manifest = JSON.parse(fs.readFileSync(values.manifest, 'utf8'));
const keys = manifest.keys;
const largest = Math.max(...keys.map((k) => k.numel * SIZES[k.dtype]));
const totalBytes = keys.reduce((s, k) => s + k.numel * SIZES[k.dtype], 0);

/** A state dict whose tensors are random bytes made when read (nothing is kept). */
const synthetic = {
  format: 'safetensors',
  source: manifest.name,
  metadata: {},
  close: async () => {},
  tensors: new Map(
    keys.map((k) => [k.name, { name: k.name, dtype: k.dtype, shape: k.shape, byteLength: k.numel * SIZES[k.dtype], read: async () => randomFillSync(new Uint8Array(k.numel * SIZES[k.dtype])) }]),
  ),
};

const dir = fs.mkdtempSync(path.join(values.dir, 'titok-io-memory-'));
const cleanup = () => {
  if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function write(file, writer) {
  const t = Date.now();
  const sink = await fileSink(file);
  try {
    await writer(sink);
  } finally {
    await sink.close();
  }
  return { file, bytes: fs.statSync(file).size, seconds: (Date.now() - t) / 1000 };
}

/** Runs the CLI and samples its peak RSS (VmHWM) until it exits. */
function measure(args) {
  return new Promise((resolve, reject) => {
    const t = Date.now();
    const child = spawn(process.execPath, [path.join(ROOT, 'packages/cli/bin/titok.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakKb = 0;
    let out = '';
    let err = '';
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(sample, 10);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', () => sample());
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, peakMB: Math.round((peakKb / 1024) * 10) / 10, seconds: (Date.now() - t) / 1000, stdout: out, stderr: err });
    });
  });
}

const results = { manifest: manifest.name, tensors: keys.length, dataBytes: totalBytes, largestTensorBytes: largest, node: process.version, files: {}, runs: [] };
try {
  console.error(`bench/io-memory: writing ${manifest.name} (${keys.length} tensors, ${(totalBytes / MB).toFixed(0)} MB) twice in ${dir}`);
  const st = await write(path.join(dir, `${manifest.name}.safetensors`), (sink) => writeSafetensors(synthetic, sink, { metadata: { format: 'pt' } }));
  const bin = await write(path.join(dir, `${manifest.name}.bin`), (sink) => writeTorchZip(synthetic, sink, { prefix: manifest.name }));
  results.files = { safetensors: st, bin };

  const convertTarget = (largest + 4 * MB) / MB + 300;
  const runs = [
    { what: 'inspect .bin', args: ['inspect', bin.file], targetMB: 300 },
    { what: 'inspect .safetensors', args: ['inspect', st.file], targetMB: 300 },
    { what: 'inspect --json .bin (hashes all data)', args: ['inspect', bin.file, '--json'], targetMB: null },
    { what: 'convert .bin -> float32', args: ['convert', bin.file, '--out', path.join(dir, 'out-f32')], targetMB: convertTarget, out: 'out-f32' },
    { what: 'convert .safetensors -> float16', args: ['convert', st.file, '--dtype', 'float16', '--out', path.join(dir, 'out-f16')], targetMB: convertTarget, out: 'out-f16' },
  ];
  for (const r of runs) {
    console.error(`bench/io-memory: titok ${r.args.map((a) => (a.startsWith(dir) ? path.relative(dir, a) : a)).join(' ')}`);
    const m = await measure(r.args);
    if (m.code !== 0) throw new Error(`titok ${r.args.join(' ')} failed (${m.code}): ${m.stderr}`);
    const row = { what: r.what, peakRssMB: m.peakMB, targetMB: r.targetMB === null ? null : Math.round(r.targetMB * 10) / 10, ok: r.targetMB === null ? null : m.peakMB < r.targetMB, seconds: m.seconds };
    if (r.out) {
      const files = fs.readdirSync(path.join(dir, r.out));
      row.outputShards = files.filter((f) => f.endsWith('.bin')).length;
      row.outputMB = Math.round(files.reduce((s, f) => s + fs.statSync(path.join(dir, r.out, f)).size, 0) / MB);
      fs.rmSync(path.join(dir, r.out), { recursive: true, force: true });
    }
    if (r.what.startsWith('inspect .bin')) row.preset = /^preset:\s+(\S+)/m.exec(m.stdout)?.[1];
    results.runs.push(row);
  }
} finally {
  cleanup();
}

const pad = (s, n) => String(s).padEnd(n);
console.log(`\n${manifest.name}: ${keys.length} tensors, ${(totalBytes / MB).toFixed(0)} MB of data, largest tensor ${(largest / MB).toFixed(1)} MB`);
console.log(`${pad('command', 40)} ${pad('peak RSS', 10)} ${pad('target', 10)} ${pad('ok', 5)} time`);
for (const r of results.runs) {
  console.log(`${pad(r.what, 40)} ${pad(`${r.peakRssMB} MB`, 10)} ${pad(r.targetMB === null ? '-' : `${r.targetMB} MB`, 10)} ${pad(r.ok === null ? '-' : r.ok ? 'yes' : 'NO', 5)} ${r.seconds.toFixed(1)} s`);
}
console.log(JSON.stringify(results));
if (values['json-out']) fs.writeFileSync(values['json-out'], `${JSON.stringify(results, null, 2)}\n`);
process.exitCode = results.runs.every((r) => r.ok !== false) ? 0 : 1;
