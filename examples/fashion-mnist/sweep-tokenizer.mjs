#!/usr/bin/env node
/**
 * Reconstruction PSNR of the Fashion-MNIST tokenizer against its codebook size, batch size,
 * peak learning rate, training length and (optionally) encoder / decoder sizes: trains the
 * tokenizer of settings.mjs from scratch for each combination (all else as TRAINING.tokenizer,
 * same seed), then measures the PSNR on the test set exactly as evaluate.mjs does (32x32,
 * float32 weights, clipped, truncated to 8 bits).
 * Runs checkpoint to artifacts/fashion-mnist/sweep/ and resume from there when started again.
 *
 *   node examples/fashion-mnist/sweep-tokenizer.mjs [--codebook 1024,4096] [--batch 8,32]
 *        [--lr 0.003,0.005] [--images 64000] [--stop N] [--test 10000]
 *        [--encoder WIDTHxLAYERS] [--decoder WIDTHxLAYERS] [--dead-code-steps N] [--restart-until STEP|end]
 *        [--finetune-decoder-from STEP|never] [--replicas 1]
 *        [--token-size 16] [--encoder-patch 8] [--no-l2-norm] [--commitment 0.25] [--estimator straight-through|rotation|soft|noise]
 *        [--soft-temperature 0.01] [--soft-candidates 8] [--continuous]
 *        [--continuous-steps N] [--codebook-update loss|ema] [--codebook-decay 0.99]
 *        [--codebook-prior 1]
 *        [--seed N]
 *        [--json examples/fashion-mnist/results/tokenizer-sweep.json]
 *
 * Lengths are in training images, so that batch sizes compare at equal work: --images is the
 * length of the learning-rate schedule (steps = images / batch; the warm-up covers as many
 * images as TRAINING.tokenizer's), --stop ends training early on that schedule. --encoder and
 * --decoder replace the transformer sizes of settings.mjs (heads unchanged); --dead-code-steps
 * replaces TRAINING.tokenizer.deadCodeSteps (codes unused for that many steps restart),
 * --restart-until ends restarts at that step (TokenizerTrainingOptions.restartUntil; `end`: never);
 * --finetune-decoder-from trains only the decoder after that step, the codes frozen
 * (TokenizerTrainingOptions.finetuneDecoderFrom; `never`, the default: the whole model throughout);
 * --token-size replaces the codebook vectors' dimension (token_size of settings.mjs),
 * --encoder-patch the encoder's patch size (vit_enc_patch_size), --no-l2-norm compares vectors and
 * codes as they are instead of l2-normalised (use_l2_norm false),
 * --commitment the commitment loss's weight β (TokenizerTrainingOptions.commitmentCost);
 * --estimator picks how the gradient crosses the quantiser (TokenizerTrainingOptions.estimator;
 * with `soft`, --soft-temperature and --soft-candidates set softTemperature and softCandidates),
 * --continuous trains with quantisation bypassed (TokenizerTrainingOptions.continuous) and
 * measures reconstructions through the encoder's vectors themselves: a reference for what
 * quantisation costs, not a tokenizer; --continuous-steps N bypasses it only for the first N steps
 * (TokenizerTrainingOptions.continuousSteps, a warm start). --codebook-update ema moves the
 * codebook by moving averages of the vectors assigned to it (decay --codebook-decay, initial rows
 * weighing --codebook-prior vectors) instead of the codebook loss
 * (TokenizerTrainingOptions.codebookUpdate, codebookDecay, codebookPrior). --seed replaces TRAINING.tokenizer.seed. --replicas N trains each row data-parallel on N worker
 * threads (lib/replicas.mjs; 1, the default, trains in this thread). Rows are merged into the
 * --json file by (codebook, token size, encoder patch, l2 norm, batch, lr, steps, stop, encoder, decoder, deadCodeSteps, restartUntil,
 * finetuneDecoderFrom, commitment, estimator, softTemperature, softCandidates, continuous, continuousSteps, codebookUpdate, codebookDecay, codebookPrior, seed, replicas).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@titok/core';
import { loadFashionMnist, loadTrainingCheckpoint, saveTrainingCheckpoint } from '@titok/io/node';
import { CODEBOOK_UPDATES, ESTIMATORS, TokenizerTrainer } from '@titok/tokenizer';
import { reconstructContinuousUint8, reconstructUint8, testPsnr } from './lib/psnr.mjs';
import { replicaGroup, runReplicas } from './lib/replicas.mjs';
import { stageTimer, writeJson } from './lib/stages.mjs';
import { PATHS, TOKENIZER_CONFIG, TRAINING } from './settings.mjs';

const base = TRAINING.tokenizer;
const { values: opts } = parseArgs({
  options: {
    codebook: { type: 'string', default: String(TOKENIZER_CONFIG.model.vq_model.codebook_size) },
    batch: { type: 'string', default: String(base.batchSize) },
    lr: { type: 'string', default: String(base.learningRate) },
    images: { type: 'string', default: String(base.steps * base.batchSize) },
    stop: { type: 'string' },
    test: { type: 'string', default: '10000' },
    encoder: { type: 'string' },
    decoder: { type: 'string' },
    'dead-code-steps': { type: 'string', default: String(base.deadCodeSteps) },
    'restart-until': { type: 'string', default: base.restartUntil === undefined ? 'end' : String(base.restartUntil) },
    'finetune-decoder-from': { type: 'string', default: base.finetuneDecoderFrom === undefined ? 'never' : String(base.finetuneDecoderFrom) },
    replicas: { type: 'string', default: '1' },
    'token-size': { type: 'string', default: String(TOKENIZER_CONFIG.model.vq_model.token_size) },
    'encoder-patch': { type: 'string', default: String(TOKENIZER_CONFIG.model.vq_model.vit_enc_patch_size) },
    'no-l2-norm': { type: 'boolean', default: false },
    commitment: { type: 'string', default: '0.25' },
    estimator: { type: 'string', default: base.estimator ?? 'straight-through' },
    'soft-temperature': { type: 'string', default: '0.01' },
    'soft-candidates': { type: 'string', default: '8' },
    continuous: { type: 'boolean', default: false },
    'continuous-steps': { type: 'string', default: '0' },
    'codebook-update': { type: 'string', default: 'loss' },
    'codebook-decay': { type: 'string', default: '0.99' },
    'codebook-prior': { type: 'string', default: '1' },
    seed: { type: 'string', default: String(base.seed) },
    json: { type: 'string', default: path.join(PATHS.results, 'tokenizer-sweep.json') },
  },
});
const fail = (m) => {
  process.stderr.write(`sweep-tokenizer: ${m}\n`);
  process.exit(2);
};
const int = (name, v) => (/^[1-9]\d*$/.test(v) ? Number(v) : fail(`--${name} takes a positive integer, got "${v}"`));
const num = (name, v) => (Number(v) > 0 ? Number(v) : fail(`--${name} takes a positive number, got "${v}"`));
const list = (name, parse) => opts[name].split(',').map((v) => parse(name, v.trim()));
const codebooks = list('codebook', int);
const batches = list('batch', int);
const rates = list('lr', num);
const images = int('images', opts.images);
const stopImages = opts.stop === undefined ? images : int('stop', opts.stop);
if (stopImages > images) fail(`--stop ${stopImages} is past the end of the schedule (--images ${images})`);
for (const b of batches) if (images % b || stopImages % b) fail(`--images and --stop must be multiples of every --batch (${b})`);
const testRequested = int('test', opts.test);
const replicas = int('replicas', opts.replicas);
const deadCodeSteps = int('dead-code-steps', opts['dead-code-steps']);
const restartUntil = opts['restart-until'] === 'end' ? null : int('restart-until', opts['restart-until']);
const finetuneDecoderFrom = opts['finetune-decoder-from'] === 'never' ? null : int('finetune-decoder-from', opts['finetune-decoder-from']);
const estimator = ESTIMATORS.includes(opts.estimator) ? opts.estimator : fail(`--estimator takes ${ESTIMATORS.join(' or ')}, got "${opts.estimator}"`);
const seed = int('seed', opts.seed);
// Soft-choice settings count only with the soft estimator (null otherwise, as in older rows).
const softTemperature = estimator === 'soft' ? num('soft-temperature', opts['soft-temperature']) : null;
const softCandidates = estimator === 'soft' ? int('soft-candidates', opts['soft-candidates']) : null;
const tokenSize = int('token-size', opts['token-size']);
const encoderPatch = int('encoder-patch', opts['encoder-patch']);
if (32 % encoderPatch) fail(`--encoder-patch ${encoderPatch} does not divide the 32-pixel images`);
const l2Norm = !opts['no-l2-norm'];
const continuous = opts.continuous;
const continuousSteps = opts['continuous-steps'] === '0' ? 0 : int('continuous-steps', opts['continuous-steps']);
const commitmentCost = num('commitment', opts.commitment);
const codebookUpdate = CODEBOOK_UPDATES.includes(opts['codebook-update']) ? opts['codebook-update'] : fail(`--codebook-update takes ${CODEBOOK_UPDATES.join(' or ')}, got "${opts['codebook-update']}"`);
const codebookPrior = num('codebook-prior', opts['codebook-prior']);
const codebookDecay = Number(opts['codebook-decay']) > 0 && Number(opts['codebook-decay']) < 1 ? Number(opts['codebook-decay']) : fail(`--codebook-decay takes a number between 0 and 1, got "${opts['codebook-decay']}"`);
for (const b of batches) if (b % replicas) fail(`--batch ${b} does not split evenly over ${replicas} replicas`);
/** The transformer sizes of settings.mjs, with --encoder / --decoder (WIDTHxLAYERS) applied. */
const sizes = Object.fromEntries(
  ['encoder', 'decoder'].map((part) => {
    const own = TOKENIZER_CONFIG.tiny[part];
    if (opts[part] === undefined) return [part, own];
    const m = /^([1-9]\d*)x([1-9]\d*)$/.exec(opts[part]);
    if (!m) fail(`--${part} takes WIDTHxLAYERS, for example 128x3, got "${opts[part]}"`);
    const [width, layers] = [Number(m[1]), Number(m[2])];
    if (width % own.num_heads) fail(`--${part} width ${width} is not a multiple of its ${own.num_heads} heads`);
    return [part, { ...own, width, num_layers: layers }];
  }),
);
/** Row fields added after the first rows: what those older rows trained with (the first recipe's). */
const ROW_DEFAULTS = { encoderPatch: 8, l2Norm: true };
const sizeName = (s) => `${s.width}x${s.num_layers}`;
const [encoderName, decoderName] = [sizeName(sizes.encoder), sizeName(sizes.decoder)];
/**
 * The settings that differ from settings.mjs, as [checkpoint-name suffix, log label] in a fixed
 * order; a setting as settings.mjs has it adds nothing (so older checkpoint names stay valid).
 */
const variants = [
  [tokenSize, TOKENIZER_CONFIG.model.vq_model.token_size, `-token${tokenSize}`, `, token size ${tokenSize}`],
  // Named against the first recipe's patch and norm (8, true), so that names stay as settings.mjs moves.
  [encoderPatch, ROW_DEFAULTS.encoderPatch, `-encpatch${encoderPatch}`, `, encoder patch ${encoderPatch}`],
  [l2Norm, ROW_DEFAULTS.l2Norm, `-l2${l2Norm}`, `, l2 norm ${l2Norm}`],
  [`${encoderName}/${decoderName}`, `${sizeName(TOKENIZER_CONFIG.tiny.encoder)}/${sizeName(TOKENIZER_CONFIG.tiny.decoder)}`, `-encoder${encoderName}-decoder${decoderName}`, `, encoder ${encoderName}, decoder ${decoderName}`],
  [deadCodeSteps, base.deadCodeSteps, `-dead${deadCodeSteps}`, `, dead codes after ${deadCodeSteps} steps`],
  // Named whenever restarts end (runs named without it restarted to the end, settings.mjs's former default).
  [restartUntil, null, `-restartuntil${restartUntil}`, `, restarts until step ${restartUntil}`],
  [finetuneDecoderFrom, null, `-decoderonly${finetuneDecoderFrom}`, `, only the decoder after step ${finetuneDecoderFrom}`],
  [commitmentCost, 0.25, `-commitment${commitmentCost}`, `, commitment ${commitmentCost}`],
  [estimator, 'straight-through', `-${estimator}`, `, ${estimator} estimator`], // also named against the first recipe's
  [softTemperature, null, `-tau${softTemperature}`, `, temperature ${softTemperature}`],
  [softCandidates ?? 8, 8, `-candidates${softCandidates}`, `, ${softCandidates} candidates`],
  [continuous, false, '-continuous', ', continuous (no quantisation)'],
  [continuousSteps, 0, `-continuous${continuousSteps}`, `, continuous for ${continuousSteps} steps`],
  [codebookUpdate, 'loss', `-${codebookUpdate}`, `, codebook by ${codebookUpdate}`],
  [codebookUpdate === 'ema' ? codebookDecay : 0.99, 0.99, `-decay${codebookDecay}`, `, decay ${codebookDecay}`],
  // Always named with EMA (its first runs, prior 100, were named without it).
  [codebookUpdate === 'ema' ? codebookPrior : null, null, `-prior${codebookPrior}`, `, prior ${codebookPrior}`],
  [seed, base.seed, `-seed${seed}`, `, seed ${seed}`],
  [replicas, 1, `-replicas${replicas}`, `, ${replicas} replicas`],
].filter(([value, own]) => value !== own);
const variantSuffix = variants.map((v) => v[2]).join('');
const variantLabel = variants.map((v) => v[3]).join('');
/** What identifies a row of the --json file (a rerun replaces its row). */
const ROW_KEY = ['codebook', 'tokenSize', 'encoderPatch', 'l2Norm', 'batch', 'learningRate', 'steps', 'stop', 'encoder', 'decoder', 'deadCodeSteps', 'restartUntil', 'finetuneDecoderFrom', 'commitmentCost', 'estimator', 'softTemperature', 'softCandidates', 'continuous', 'continuousSteps', 'codebookUpdate', 'codebookDecay', 'codebookPrior', 'seed', 'replicas'];

if (isMainThread && replicas > 1) {
  // The worker threads run this script; replica 0 leads (logs, checkpoints, measures, writes rows).
  await runReplicas(new URL(import.meta.url), replicas, process.argv.slice(2)).catch((e) => fail(e.message));
  process.exit(0);
}
const group = replicaGroup();
const lead = !group || group.index === 0;

await selectBackend({ backend: 'wasm' });
const log = (s) => lead && process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const train = await loadFashionMnist('train');
const test = await loadFashionMnist('test');
const testImages = Math.min(testRequested, test.count);
const trainImages = { ...train, channels: 1 };
const dir = path.join(PATHS.work, 'sweep');
fs.mkdirSync(dir, { recursive: true });

/** The rows already in the --json file (read again before each write: several sweeps may share it). */
const savedRows = () => (fs.existsSync(opts.json) ? JSON.parse(fs.readFileSync(opts.json, 'utf8')).rows ?? [] : []);
const sameRun = (a, b) => ROW_KEY.every((k) => (a[k] ?? ROW_DEFAULTS[k] ?? null) === (b[k] ?? ROW_DEFAULTS[k] ?? null));
let rows = savedRows();
for (const codebook of codebooks) {
  for (const batchSize of batches) {
    for (const learningRate of rates) {
      const config = structuredClone(TOKENIZER_CONFIG);
      config.model.vq_model.codebook_size = codebook;
      config.model.vq_model.token_size = tokenSize;
      config.model.vq_model.vit_enc_patch_size = encoderPatch;
      config.model.vq_model.use_l2_norm = l2Norm;
      config.tiny = { ...config.tiny, ...sizes };
      const steps = images / batchSize;
      const stop = stopImages / batchSize;
      const warmupSteps = Math.round((base.warmupSteps * base.batchSize) / batchSize);
      const settings = { ...base, seed, batchSize, learningRate, steps, warmupSteps, deadCodeSteps, restartUntil: restartUntil ?? undefined, finetuneDecoderFrom: finetuneDecoderFrom ?? undefined, commitmentCost, estimator, ...(softTemperature === null ? {} : { softTemperature, softCandidates }), continuous, continuousSteps, codebookUpdate, codebookDecay, codebookPrior };
      const name = `codebook ${codebook}, batch ${batchSize}, lr ${learningRate}${variantLabel}`;
      const ckpt = path.join(dir, `codebook${codebook}-batch${batchSize}-lr${learningRate}-steps${steps}${variantSuffix}.ckpt`);
      const trainer = fs.existsSync(ckpt)
        ? await TokenizerTrainer.resume(await loadTrainingCheckpoint(ckpt), trainImages)
        : TokenizerTrainer.create(config, trainImages, settings);
      if (group) trainer.useReplicas(group);
      if (trainer.step > stop) fail(`${ckpt} is already at step ${trainer.step}, past --stop ${stopImages} images (step ${stop}): delete it or stop later`);
      log(`${name}: step ${trainer.step} of ${steps}, training to ${stop}`);
      const timer = stageTimer();
      await trainer.train({
        until: stop,
        checkpointEvery: Math.max(100, Math.round(steps / 20)),
        onCheckpoint: (c) => lead && saveTrainingCheckpoint(ckpt, c),
        progress_callback: (e) => e.step % 200 === 0 && log(`${name} ${e.step}/${stop}: mse ${e.losses.mse.toFixed(5)}, ${e.losses.codes} codes in the batch`),
      });
      if (!lead) {
        trainer.dispose();
        continue;
      }
      const last = trainer.history.slice(-Math.round(3200 / batchSize));
      const row = {
        codebook,
        bits: +(TOKENIZER_CONFIG.model.vq_model.num_latent_tokens * Math.log2(codebook)).toFixed(1),
        tokenSize,
        encoderPatch,
        l2Norm,
        batch: batchSize,
        learningRate,
        steps,
        stop,
        encoder: encoderName,
        decoder: decoderName,
        deadCodeSteps,
        restartUntil,
        finetuneDecoderFrom,
        commitmentCost,
        estimator,
        softTemperature,
        softCandidates,
        continuous,
        continuousSteps,
        codebookUpdate,
        codebookDecay,
        codebookPrior,
        seed,
        replicas,
        parameters: trainer.network.numParameters(),
        psnr: +(await testPsnr(test, testImages, (x) => (continuous ? reconstructContinuousUint8 : reconstructUint8)(trainer.model, x))).toFixed(2),
        testImages,
        trainMseLast3200: last.length ? +(last.reduce((a, e) => a + e.losses.mse, 0) / last.length).toPrecision(4) : null,
        trainingSeconds: +trainer.history.at(-1).elapsed.toFixed(0),
        thisRun: timer.stop(),
      };
      trainer.dispose();
      log(`${name}, step ${stop} of ${steps}: test PSNR ${row.psnr} dB`);
      rows = savedRows();
      const i = rows.findIndex((r) => sameRun(r, row));
      if (i >= 0) rows[i] = row;
      else rows.push(row);
      rows.sort(
        (a, b) =>
          a.steps * a.batch - b.steps * b.batch ||
          a.stop * a.batch - b.stop * b.batch ||
          a.codebook - b.codebook ||
          a.tokenSize - b.tokenSize ||
          b.batch - a.batch ||
          a.learningRate - b.learningRate ||
          a.parameters - b.parameters,
      );
      writeJson(opts.json, {
        note: 'Test PSNR (evaluate.mjs\'s measure, float32 weights, first `testImages` test images of each row) of the tokenizer of settings.mjs trained from scratch with each codebook size and token size (dimension of its vectors), encoder patch size (encoderPatch), l2-normalised or raw vectors and codes (l2Norm; older rows: 8 and true), batch size, peak learning rate and encoder / decoder size (WIDTHxLAYERS), dead-code window (deadCodeSteps) and last step of restarts (restartUntil, null: the end), step after which only the decoder trained (finetuneDecoderFrom, null: never), commitment weight (commitmentCost), gradient estimator (with soft: its softTemperature and softCandidates, null otherwise), seed, and with quantisation bypassed when `continuous` (PSNR through the encoder vectors themselves) or, when `continuousSteps` > 0, for that many first steps only, with the codebook moved by its loss or by moving averages (codebookUpdate, codebookDecay, codebookPrior), on `replicas` data-parallel threads; `steps` is the schedule length, `stop` where training ended on it; trainMseLast3200 is the mean training MSE over the last 3,200 images (trainMseLast100: over the last 100 steps, older rows).',
        rows,
      });
    }
  }
}
if (!lead) process.exit(0);
process.stdout.write(`\n| codebook | bits | token size | batch | lr | encoder | decoder | dead codes after (steps) | restarts until (step) | decoder only after (step) | commitment | estimator | continuous | continuous for (steps) | codebook by | decay | prior | seed | replicas | schedule (steps) | trained (steps) | images | test PSNR (dB) | test images |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n`);
for (const r of rows) {
  process.stdout.write(`| ${r.codebook} | ${r.bits} | ${r.tokenSize} | ${r.batch} | ${r.learningRate} | ${r.encoder} | ${r.decoder} | ${r.deadCodeSteps} | ${r.restartUntil ?? 'end'} | ${r.finetuneDecoderFrom ?? 'never'} | ${r.commitmentCost} | ${r.estimator} | ${r.continuous} | ${r.continuousSteps} | ${r.codebookUpdate} | ${r.codebookDecay} | ${r.codebookPrior} | ${r.seed} | ${r.replicas} | ${r.steps} | ${r.stop} | ${r.stop * r.batch} | ${r.psnr} | ${r.testImages} |\n`);
}

