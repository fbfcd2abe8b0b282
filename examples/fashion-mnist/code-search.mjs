#!/usr/bin/env node
/**
 * Reconstruction PSNR of the shipped tokenizer with its codes searched for the reconstruction
 * (`TiTok.encode(images, { search })`) against the nearest codes, on the first test images.
 * Each setting (candidates x sweeps) is a row of examples/fashion-mnist/results/code-search.json
 * (a rerun replaces its row).
 *
 *   node examples/fashion-mnist/code-search.mjs [--images 2000] [--candidates 8] [--sweeps 1] [--tries N]
 *        [--threads 1] [--model packages/cli/models/fashion-mnist/tokenizer]
 *
 * A search costs 32 x (candidates - 1) x sweeps decodes of each image: 2,000 images with 8
 * candidates and one sweep take about 20 minutes on one core. --tries N guides the search: each
 * token decodes only the N candidates a gradient ranks best (32 x N x sweeps decodes).
 * --threads N shares the batches of 500 among N child processes (one per core; worker threads
 * slowed down after their first batch here). --model measures another tokenizer folder (its rows
 * are named by its encoder's size and patch size, as the shipped model's: write them elsewhere with --json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fork } from 'node:child_process';
import { selectBackend } from '@titok/core';
import { loadFashionMnist } from '@titok/io/node';
import { TiTok } from '@titok/tokenizer';
import { psnrDb, testSquaredError } from './lib/psnr.mjs';
import { stageTimer, writeJson } from './lib/stages.mjs';
import { PATHS } from './settings.mjs';

const { values: opts } = parseArgs({
  options: {
    images: { type: 'string', default: '2000' },
    candidates: { type: 'string', default: '8' },
    sweeps: { type: 'string', default: '1' },
    tries: { type: 'string' },
    threads: { type: 'string', default: '1' },
    model: { type: 'string', default: path.join(PATHS.models, 'tokenizer') },
    json: { type: 'string', default: path.join(PATHS.results, 'code-search.json') },
  },
});
const whole = (name) => {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`code-search: --${name} takes a whole number of 1 or more, got "${opts[name]}"\n`);
    process.exit(2);
  }
  return v;
};
const [images, candidates, sweeps, threads] = [whole('images'), whole('candidates'), whole('sweeps'), whole('threads')];
// Rows without guidance keep tries null; tries >= candidates - 1 decodes them all, unguided.
const tries = opts.tries === undefined || whole('tries') >= candidates - 1 ? null : whole('tries');
const log = (m) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

await selectBackend({ backend: 'wasm' });
const test = await loadFashionMnist('test');
if (images > test.count) {
  process.stderr.write(`code-search: --images ${images} is more than the ${test.count} test images\n`);
  process.exit(2);
}
const search = { candidates, sweeps, ...(tries ? { tries } : {}) };
const timer = stageTimer();
// Sums of squared 8-bit errors over the first `images` test pictures: nearest and searched codes.
// A child process (CODE_SEARCH_PART=part/parts) computes its share and sends it back.
const child = process.env.CODE_SEARCH_PART?.split('/').map(Number);
const sums = child ? await squaredErrors({ part: child[0], parts: child[1] }) : threads > 1 ? await inProcesses() : await squaredErrors({ part: 0, parts: 1 });
if (child) {
  process.send(sums, () => process.exit(0));
  await new Promise(() => {});
}
const OLDER_ROWS_MODEL = 'encoder 64x2, patch 8';
const model = modelName();
const count = images * test.height * test.width * 3;
const [nearest, searched] = [psnrDb(sums.nearest, count), psnrDb(sums.searched, count)];
log(`first ${images} test images, nearest codes: ${nearest.toFixed(3)} dB`);
const row = { model, images, candidates, sweeps, tries, decodesPerImage: 32 * (tries ?? candidates - 1) * sweeps, nearest: +nearest.toFixed(3), searched: +searched.toFixed(3), gain: +(searched - nearest).toFixed(3), thisRun: timer.stop() };
log(`searched codes (${candidates} candidates${tries ? `, ${tries} tried` : ''}, ${sweeps} sweeps): ${row.searched} dB, +${row.gain} dB`);
const saved = fs.existsSync(opts.json) ? JSON.parse(fs.readFileSync(opts.json, 'utf8')).rows : [];
const rows = [...saved.map((r) => ({ model: OLDER_ROWS_MODEL, ...r, tries: r.tries ?? null })).filter((r) => !(r.model === model && r.images === images && r.candidates === candidates && r.sweeps === sweeps && r.tries === tries)), row];
rows.sort((a, b) => a.model.localeCompare(b.model) || a.images - b.images || a.candidates - b.candidates || a.sweeps - b.sweeps || (a.tries ?? Infinity) - (b.tries ?? Infinity));
writeJson(opts.json, {
  note: "Test PSNR (evaluate.mjs's measure: 32x32, 8-bit in and out) of the shipped tokenizer (`model`: its encoder's size and patch size; the rows of a model no longer shipped stay for comparison) on the first `images` test images, with the nearest codes (`nearest`, as encode gives them) and with codes searched for the reconstruction (`searched`: TiTok.encode's `search` option with `candidates` and `sweeps`; `tries`, when not null, guided: each token decoded only that many candidates, ranked by the gradient); thisRun is the search's time, on the wasm backend.",
  rows,
});

/** The tokenizer, as rows name it: its encoder's size and patch size (the rows before they changed had 64x2, 8). */
function modelName() {
  const config = JSON.parse(fs.readFileSync(path.join(opts.model, 'config.json'), 'utf8'));
  const { width, num_layers: layers } = config.tiny.encoder;
  return `encoder ${width}x${layers}, patch ${config.model.vq_model.vit_enc_patch_size}`;
}

/** This thread's share of the batches (`part` of `parts`): both sums of squared errors. */
async function squaredErrors(share) {
  const titok = await TiTok.fromPretrained(opts.model);
  try {
    const nearest = await testSquaredError(test, images, (x) => titok.reconstruct(x, { output: 'uint8' }), share);
    let done = 0;
    const searched = await testSquaredError(test, images, async (x) => {
      const y = await titok.reconstruct(x, { output: 'uint8', search });
      done += x.shape[0];
      log(`${share.parts > 1 ? `process ${share.part + 1}: ` : ''}${done} test images searched`);
      return y;
    }, share);
    return { nearest, searched };
  } finally {
    titok.dispose();
  }
}

/** Runs this script in `threads` child processes, each on its share, and adds their sums. */
async function inProcesses() {
  const parts = await Promise.all(Array.from({ length: threads }, (_, part) => new Promise((resolve, reject) => {
    const p = fork(new URL(import.meta.url), process.argv.slice(2), { env: { ...process.env, CODE_SEARCH_PART: `${part}/${threads}` } });
    p.once('message', resolve);
    p.once('error', reject);
    p.once('exit', (code) => code !== 0 && reject(new Error(`process ${part + 1} exited with code ${code}`)));
  })));
  return { nearest: parts.reduce((a, p) => a + p.nearest, 0), searched: parts.reduce((a, p) => a + p.searched, 0) };
}
