#!/usr/bin/env node
/**
 * Reconstruction PSNR of the Fashion-MNIST tokenizer against its codebook size and training
 * length: trains the tokenizer of settings.mjs from scratch with each codebook size (all else as
 * TRAINING.tokenizer, same seed), then measures the PSNR on the test set exactly as evaluate.mjs
 * does (32x32, float32 weights, clipped, truncated to 8 bits). Runs checkpoint to
 * artifacts/fashion-mnist/sweep/ and resume from there when started again.
 *
 *   node examples/fashion-mnist/sweep-tokenizer.mjs [--codebook 1024,4096] [--steps 1600]
 *        [--stop N] [--test 10000] [--json examples/fashion-mnist/results/tokenizer-sweep.json]
 *
 * --steps is the length of the learning-rate schedule, --stop ends training early on that
 * schedule (a cheap comparison at equal steps). Rows are merged into the --json file by
 * (codebook, steps, stop).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@titok/core';
import { loadFashionMnist, loadTrainingCheckpoint, saveTrainingCheckpoint } from '@titok/io/node';
import { TokenizerTrainer } from '@titok/tokenizer';
import { psnrDb, reconstructUint8, testRgb } from './lib/psnr.mjs';
import { stageTimer, writeJson } from './lib/stages.mjs';
import { PATHS, TOKENIZER_CONFIG, TRAINING } from './settings.mjs';

const { values: opts } = parseArgs({
  options: {
    codebook: { type: 'string', default: '1024,4096' },
    steps: { type: 'string', default: String(TRAINING.tokenizer.steps) },
    stop: { type: 'string' },
    test: { type: 'string', default: '10000' },
    json: { type: 'string', default: path.join(PATHS.results, 'tokenizer-sweep.json') },
  },
});
const fail = (m) => {
  process.stderr.write(`sweep-tokenizer: ${m}\n`);
  process.exit(2);
};
const int = (name, v) => (/^[1-9]\d*$/.test(v) ? Number(v) : fail(`--${name} takes a positive integer, got "${v}"`));
const codebooks = opts.codebook.split(',').map((v) => int('codebook', v.trim()));
const steps = int('steps', opts.steps);
const stop = opts.stop === undefined ? steps : int('stop', opts.stop);
if (stop > steps) fail(`--stop ${stop} is past the end of the schedule (--steps ${steps})`);
const testCount = int('test', opts.test);

await selectBackend({ backend: 'wasm' });
const log = (s) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const train = await loadFashionMnist('train');
const test = await loadFashionMnist('test');
const images = { ...train, channels: 1 };
const dir = path.join(PATHS.work, 'sweep');
fs.mkdirSync(dir, { recursive: true });

/** The rows already in the --json file (read again before each write: several sweeps may share it). */
const savedRows = () => (fs.existsSync(opts.json) ? JSON.parse(fs.readFileSync(opts.json, 'utf8')).rows ?? [] : []);
let rows = [];
for (const codebook of codebooks) {
  const config = structuredClone(TOKENIZER_CONFIG);
  config.model.vq_model.codebook_size = codebook;
  const settings = { ...TRAINING.tokenizer, steps };
  const ckpt = path.join(dir, `codebook${codebook}-steps${steps}.ckpt`);
  const trainer = fs.existsSync(ckpt)
    ? await TokenizerTrainer.resume(await loadTrainingCheckpoint(ckpt), images)
    : TokenizerTrainer.create(config, images, settings);
  if (trainer.step > stop) fail(`${ckpt} is already at step ${trainer.step}, past --stop ${stop}: pass --stop ${trainer.step} or more, or delete it`);
  log(`codebook ${codebook}: step ${trainer.step} of ${steps}, training to ${stop}`);
  const timer = stageTimer();
  await trainer.train({
    until: stop,
    checkpointEvery: 100,
    onCheckpoint: (c) => saveTrainingCheckpoint(ckpt, c),
    progress_callback: (e) => e.step % 100 === 0 && log(`codebook ${codebook} ${e.step}/${stop}: mse ${e.losses.mse.toFixed(5)}, ${e.losses.codes} codes in the batch`),
  });
  const last = trainer.history.slice(-100);
  const row = {
    codebook,
    bits: +(TOKENIZER_CONFIG.model.vq_model.num_latent_tokens * Math.log2(codebook)).toFixed(1),
    steps,
    stop,
    psnr: +(await testPsnr(trainer.model)).toFixed(2),
    trainMseLast100: last.length ? +(last.reduce((a, e) => a + e.losses.mse, 0) / last.length).toPrecision(4) : null,
    trainingSeconds: +trainer.history.at(-1).elapsed.toFixed(0),
    thisRun: timer.stop(),
  };
  trainer.dispose();
  log(`codebook ${codebook} (${row.bits} bits), step ${stop} of ${steps}: test PSNR ${row.psnr} dB`);
  rows = savedRows();
  const i = rows.findIndex((r) => r.codebook === codebook && r.steps === steps && r.stop === stop);
  if (i >= 0) rows[i] = row;
  else rows.push(row);
  rows.sort((a, b) => a.steps - b.steps || a.stop - b.stop || a.codebook - b.codebook);
  writeJson(opts.json, {
    note: 'Test PSNR (evaluate.mjs\'s measure, float32 weights, first `testImages` test images) of the tokenizer of settings.mjs trained from scratch with each codebook size; `steps` is the schedule length, `stop` where training ended on it.',
    testImages: testCount,
    rows,
  });
}
process.stdout.write(`\n| codebook | bits | schedule | trained | test PSNR (dB) | train MSE (last 100) |\n|---|---|---|---|---|---|\n`);
for (const r of rows) process.stdout.write(`| ${r.codebook} | ${r.bits} | ${r.steps} | ${r.stop} | ${r.psnr} | ${r.trainMseLast100} |\n`);

/** PSNR over the first `testCount` test images, measured like evaluate.mjs. */
async function testPsnr(model) {
  let se = 0;
  const n = Math.min(testCount, test.count);
  for (let s = 0; s < n; s += 500) {
    const x = testRgb(test, s, Math.min(500, n - s));
    const y = reconstructUint8(model, x);
    const [a, b] = [await x.data(), await y.data()];
    for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
    tf.dispose([x, y]);
  }
  return psnrDb(se, n * test.height * test.width * 3);
}
