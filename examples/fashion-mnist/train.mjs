#!/usr/bin/env node
/**
 * Trains the Fashion-MNIST tokenizer, then the generator on its tokens, then the evaluation
 * classifier; exports the tokenizer and generator in the tfjs format to
 * packages/cli/models/fashion-mnist/ (the CLI's and the playground's default model).
 *
 *   node examples/fashion-mnist/train.mjs [--stage tokenizer|decoder|generator|classifier|all]
 *        [--backend wasm|cpu] [--fresh] [--dtype float16|float32] [--replicas N]
 *
 * The tokenizer and the generator train data-parallel on --replicas worker threads (default: each
 * stage's TRAINING.replicas; 1 trains in this thread). Each stage checkpoints every
 * TRAINING.checkpointEvery steps to artifacts/fashion-mnist/ and resumes from there when started
 * again (--fresh starts over); a resumed run gives the same weights as an uninterrupted one with
 * the same replica count. Wall and CPU times go to examples/fashion-mnist/results/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@titok/core';
import { GeneratorTrainer } from '@titok/generator';
import { loadFashionMnist, loadTrainingCheckpoint, saveTrainingCheckpoint } from '@titok/io/node';
import { TiTok, TokenizerTrainer } from '@titok/tokenizer';
import { trainClassifier } from './lib/classifier.mjs';
import { replicaGroup, runReplicas, sendLeadResult } from './lib/replicas.mjs';
import { exportModel, saveClassifier, stageTimer, writeJson, writeSampleImages } from './lib/stages.mjs';
import { GENERATOR_CONFIG, PATHS, TOKENIZER_CONFIG, TRAINING } from './settings.mjs';

const { values: opts } = parseArgs({
  options: {
    stage: { type: 'string', default: 'all' },
    backend: { type: 'string', default: 'wasm' },
    fresh: { type: 'boolean', default: false },
    dtype: { type: 'string', default: 'float16' },
    replicas: { type: 'string' },
  },
});
if (opts.replicas !== undefined && !/^[1-9]\d*$/.test(opts.replicas)) {
  process.stderr.write(`train: --replicas takes a positive integer, got "${opts.replicas}"\n`);
  process.exit(2);
}
/** Replicas of a stage: --replicas, else the stage's TRAINING.replicas. */
const replicasOf = (name) => (opts.replicas === undefined ? TRAINING.replicas[name] : Number(opts.replicas));
/** Set in a replica's worker thread (see lib/replicas.mjs). */
const group = replicaGroup();
const lead = !group || group.index === 0;
// 'decoder': the tokenizer's decoder-only phase (TRAINING.decoder), after 'tokenizer'.
const stages = opts.stage === 'all' ? ['tokenizer', 'decoder', 'generator', 'classifier'] : opts.stage.split(',');
await selectBackend({ backend: opts.backend });
fs.mkdirSync(PATHS.work, { recursive: true });
const log = (s) => lead && process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const fmt = (e) => Object.entries(e.losses).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ');

const results = fs.existsSync(path.join(PATHS.results, 'training.json')) ? JSON.parse(fs.readFileSync(path.join(PATHS.results, 'training.json'), 'utf8')) : {};
results.backend = tf.getBackend();

/**
 * One stage: trains to the end, checkpointing to artifacts/fashion-mnist/<name>.ckpt and resuming
 * from it when it exists (unless --fresh), exports the network to
 * packages/cli/models/fashion-mnist/<name>/ (or <exportAs>/) and records the run in results/training.json. With
 * replicas, the main thread runs this script's stage in the worker threads and records the lead's
 * result.
 */
async function trainStage(name, configJson, create, resume, { exportAs = name, since = 0 } = {}) {
  const replicas = replicasOf(name);
  if (isMainThread && replicas > 1) {
    log(`${name}: ${replicas} data-parallel replicas`);
    const argv = ['--stage', name, '--backend', opts.backend, '--dtype', opts.dtype, '--replicas', String(replicas), ...(opts.fresh ? ['--fresh'] : [])];
    results[name] = await runReplicas(new URL(import.meta.url), replicas, argv).catch((e) => {
      process.stderr.write(`train: ${name}: ${e.message}\n`);
      process.exit(1);
    });
    writeJson(path.join(PATHS.results, 'training.json'), results);
    return;
  }
  const ckptFile = path.join(PATHS.work, `${name}.ckpt`);
  let trainer;
  if (!opts.fresh && fs.existsSync(ckptFile)) {
    trainer = await resume(await loadTrainingCheckpoint(ckptFile));
    log(`${name}: resuming at step ${trainer.step}`);
  } else {
    trainer = await create();
    log(`${name}: ${trainer.network.numParameters()} parameters, ${trainer.options.steps} steps of ${trainer.options.batchSize}`);
  }
  if (group) trainer.useReplicas(group);
  const timer = stageTimer();
  await trainer.train({
    checkpointEvery: TRAINING.checkpointEvery,
    onCheckpoint: (c) => lead && saveTrainingCheckpoint(ckptFile, c),
    progress_callback: (e) => {
      if (e.step % 50 === 0 || e.step === trainer.options.steps) log(`${name} ${e.step}/${trainer.options.steps}: ${fmt(e)} (${e.elapsed.toFixed(0)} s)`);
    },
  });
  const times = timer.stop();
  if (!lead) return trainer.dispose();
  const out = path.join(PATHS.models, exportAs);
  const bytes = await exportModel(trainer.network, configJson, out, opts.dtype);
  log(`${name}: wrote ${out} (${(bytes / 1e6).toFixed(2)} MB, ${opts.dtype})`);
  // A stage that continues another's run (since > 0) records only its own steps and seconds.
  const own = trainer.history.filter((e) => e.step > since);
  const before = trainer.history.find((e) => e.step === since)?.elapsed ?? 0;
  const record = { settings: TRAINING[name], replicas, parameters: trainer.network.numParameters(), trainingSeconds: own.at(-1).elapsed - before, thisRun: times, bytes, dtype: opts.dtype, history: thin(own) };
  trainer.dispose();
  if (group) return sendLeadResult(record);
  results[name] = record;
  writeJson(path.join(PATHS.results, 'training.json'), results);
}

if (stages.includes('tokenizer')) {
  const train = await loadFashionMnist('train');
  const images = { ...train, channels: 1 };
  await trainStage('tokenizer', TOKENIZER_CONFIG, () => TokenizerTrainer.create(TOKENIZER_CONFIG, images, TRAINING.tokenizer), (c) => TokenizerTrainer.resume(c, images));
  if (isMainThread) await writeSampleImages(await loadFashionMnist('test'), GENERATOR_CONFIG.model.generator.class_names, path.join(PATHS.models, 'samples'));
}

if (stages.includes('decoder')) {
  const images = { ...(await loadFashionMnist('train')), channels: 1 };
  // The decoder alone on the codes, continuing the finished run (TRAINING.decoder): its own
  // checkpoint, exported over the tokenizer (encoder and codebook unchanged, so are the tokens).
  const main = TRAINING.tokenizer.steps;
  await trainStage(
    'decoder',
    TOKENIZER_CONFIG,
    async () => {
      const file = path.join(PATHS.work, 'tokenizer.ckpt');
      const stop = (m) => {
        process.stderr.write(`train: decoder: ${m}; train the tokenizer first (--stage tokenizer)\n`);
        process.exit(1);
      };
      if (!fs.existsSync(file)) stop(`no ${file}`);
      const done = await loadTrainingCheckpoint(file);
      if (done.step !== main) stop(`${file} is at step ${done.step}, not at the end of its ${main} steps`);
      return TokenizerTrainer.resume(done, images, { steps: main + TRAINING.decoder.steps, finetuneDecoderFrom: main });
    },
    (c) => TokenizerTrainer.resume(c, images),
    { exportAs: 'tokenizer', since: main },
  );
}

if (stages.includes('generator')) {
  const data = await trainingTokens(await loadFashionMnist('train'));
  await trainStage('generator', GENERATOR_CONFIG, () => GeneratorTrainer.create(GENERATOR_CONFIG, data, TRAINING.generator), (c) => GeneratorTrainer.resume(c, data));
}

if (stages.includes('classifier') && isMainThread) {
  const train = await loadFashionMnist('train');
  const timer = stageTimer();
  const { seed, epochs, batchSize, limit } = TRAINING.classifier;
  const model = await trainClassifier(limit ? { ...train, count: limit } : train, {
    seed, epochs, batchSize,
    onProgress: (epoch, step, loss) => step % 200 === 0 && log(`classifier epoch ${epoch + 1}/${epochs} step ${step}: loss ${loss.toFixed(4)}`),
  });
  await saveClassifier(model, path.join(PATHS.work, 'classifier'));
  results.classifier = { settings: TRAINING.classifier, thisRun: timer.stop() };
  writeJson(path.join(PATHS.results, 'training.json'), results);
  log(`classifier: saved to ${path.join(PATHS.work, 'classifier')}`);
}

/**
 * The training set's token ids under the exported tokenizer (the weights that ship, float16
 * included), cached in artifacts/ next to a hash of the tokenizer's weights.
 */
async function trainingTokens(train) {
  const dir = path.join(PATHS.models, 'tokenizer');
  const stamp = fs.readFileSync(path.join(dir, 'model.json'), 'utf8').length + ':' + fs.statSync(path.join(dir, 'model.json')).mtimeMs;
  const cache = path.join(PATHS.work, 'train-tokens.bin');
  const L = TOKENIZER_CONFIG.model.vq_model.num_latent_tokens;
  if (fs.existsSync(cache) && fs.existsSync(`${cache}.stamp`) && fs.readFileSync(`${cache}.stamp`, 'utf8') === stamp) {
    const b = fs.readFileSync(cache);
    return { count: train.count, seqLen: L, ids: new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4), labels: train.labels };
  }
  const titok = await TiTok.fromPretrained(dir, { parts: 'encoder' });
  const ids = new Int32Array(train.count * L);
  const timer = stageTimer();
  for (let s = 0; s < train.count; s += 500) {
    const n = Math.min(500, train.count - s);
    const batch = tf.tidy(() => tf.div(tf.tile(tf.tensor4d(train.pixels.subarray(s * 1024, (s + n) * 1024), [n, 32, 32, 1], 'int32'), [1, 1, 1, 3]), 255));
    const enc = await titok.encode(batch);
    ids.set(await enc.data(), s * L);
    tf.dispose([batch, enc]);
  }
  titok.dispose();
  fs.writeFileSync(cache, Buffer.from(ids.buffer));
  fs.writeFileSync(`${cache}.stamp`, stamp);
  results.tokens = { images: train.count, thisRun: timer.stop() };
  log(`tokens: encoded ${train.count} training images in ${results.tokens.thisRun.wallSeconds.toFixed(0)} s`);
  return { count: train.count, seqLen: L, ids, labels: train.labels };
}

/**
 * About 200 points of the log for the committed results and the plots: the steps are grouped in
 * windows of at least 10 (steps / 200 when there are more), and each kept entry (the window's
 * last step) carries the window's mean losses, so small noisy batches still give a readable curve.
 */
function thin(history) {
  const every = Math.max(10, Math.ceil((history.at(-1)?.step ?? 0) / 200));
  const out = [];
  let window = [];
  for (const [i, e] of history.entries()) {
    window.push(e);
    if (e.step % every !== 0 && i !== history.length - 1) continue;
    const mean = (k) => {
      const v = window.map((w) => w.losses[k]).filter((x) => x !== undefined);
      return v.reduce((a, x) => a + x, 0) / v.length;
    };
    out.push({ step: e.step, lr: +e.lr.toPrecision(4), elapsed: +e.elapsed.toFixed(1), losses: Object.fromEntries(Object.keys(e.losses).map((k) => [k, +mean(k).toPrecision(5)])) });
    window = [];
  }
  return out;
}
