#!/usr/bin/env node
// `npm run fuzz`: seeded mutations of valid checkpoints through every reader, in a watched
// worker thread. Usage: node test/fuzz/run.mjs [--iterations N] [--seed S] [--start I]
// Exit 0 when every input was read or refused with a TitokError, 1 otherwise (the seed and
// iteration reproduce a failure: --seed S --start I --iterations 1).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { runFuzz } = require('./run-worker.cjs');
const { values } = parseArgs({ options: { iterations: { type: 'string' }, seed: { type: 'string' }, start: { type: 'string' }, 'hang-ms': { type: 'string' } } });
const iterations = Number(values.iterations ?? 100000);
const seed = Number(values.seed ?? 1);
const start = Number(values.start ?? 0);
const t0 = Date.now();
let shown = 0;
const result = await runFuzz({
  seed,
  iterations,
  start,
  hangMs: Number(values['hang-ms'] ?? 10000),
  onProgress: (i) => {
    if (process.stderr.isTTY && Date.now() - shown > 1000) {
      shown = Date.now();
      process.stderr.write(`\rfuzz: ${i - start + 1}/${iterations}`);
    }
  },
});
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (result.hang) {
  console.error(`fuzz: HANG at seed ${result.hang.seed} iteration ${result.hang.iteration} (reproduce: --seed ${seed} --start ${result.hang.iteration} --iterations 1)`);
  process.exit(1);
}
if (result.crash) {
  console.error(`fuzz: the worker crashed: ${result.crash}`);
  process.exit(1);
}
const r = result.report;
console.log(JSON.stringify({ seed, iterations: r.iterations, seconds: Number(secs), accepted: r.accepted, refused: r.refused, failures: r.failures.length, slowest: r.slowest }));
for (const f of r.failures.slice(0, 20)) {
  console.error(`fuzz: FAILURE seed ${f.seed} iteration ${f.iteration} (${f.file}; ${f.steps.join(', ')}): ${f.error.split('\n').slice(0, 4).join(' | ')}`);
}
process.exit(r.failures.length ? 1 : 0);
