#!/usr/bin/env node
/**
 * Evaluates the shipped Fashion-MNIST model (packages/cli/models/fashion-mnist) and draws the
 * docs' figures (apps/docs/public/fashion-mnist):
 *
 * - reconstruction PSNR over the 10,000 test images (32x32, uint8 in and out, as `titok
 *   reconstruct` computes it; also over the 28x28 picture without its padding, and as the mean of
 *   each picture's own PSNR, the convention of many tokenizer papers), and a grid of
 *   originals and reconstructions;
 * - generated samples for every class (a grid) and their class consistency: the share of them
 *   that the classifier of train.mjs puts in the requested class, next to its test accuracy;
 * - the training loss curves (from examples/fashion-mnist/results/training.json).
 *
 *   node examples/fashion-mnist/evaluate.mjs [--backend wasm|cpu] [--per-class 100] [--seed 0]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@titok/core';
import { TitokGenerator } from '@titok/generator';
import { loadFashionMnist, loadTrainingCheckpoint } from '@titok/io/node';
import { TiTok, TokenizerTrainer } from '@titok/tokenizer';
import { accuracy, classify } from './lib/classifier.mjs';
import { writeChart, writeGrid } from './lib/images.mjs';
import { psnrDb, reconstructUint8, testPsnr, testRgb } from './lib/psnr.mjs';
import { loadClassifier, stageTimer, writeJson } from './lib/stages.mjs';
import { PATHS } from './settings.mjs';

const { values: opts } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    'per-class': { type: 'string', default: process.env.FASHION_MNIST_SMOKE ? '10' : '100' },
    seed: { type: 'string', default: '0' },
  },
});
await selectBackend({ backend: opts.backend });
const log = (s) => process.stdout.write(`${s}\n`);
const out = { backend: tf.getBackend() };
const timer = stageTimer();

const test = await loadFashionMnist('test');
const titok = await TiTok.fromPretrained(path.join(PATHS.models, 'tokenizer'));
const generator = await TitokGenerator.fromPretrained(path.join(PATHS.models, 'generator'));
const S = titok.imageSize;

// The classifier is not committed (artifacts/): say so before measuring anything, not with a stack at the end.
if (!fs.existsSync(path.join(PATHS.work, 'classifier', 'model.json'))) {
  process.stderr.write(`evaluate: no classifier in ${path.join(PATHS.work, 'classifier')}; train it first (about 2 minutes): node examples/fashion-mnist/train.mjs --stage classifier\n`);
  process.exit(2);
}

// 1. Reconstruction PSNR over the whole test set.
let se = 0;
let seInner = 0;
let psnrSum = 0; // of each picture's own PSNR, the other usual convention
const recon = [];
const reconFloat = []; // the first 2000 reconstructions, for the classifier
for (let s = 0; s < test.count; s += 500) {
  const n = Math.min(500, test.count - s);
  const x = testRgb(test, s, n);
  const y = await titok.reconstruct(x, { output: 'uint8' });
  const [a, b] = [await x.data(), await y.data()];
  let picture = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] - b[i]) ** 2;
    picture += d;
    const p = Math.floor(i / 3) % (S * S);
    const [r, c] = [Math.floor(p / S), p % S];
    if (r >= 2 && r < S - 2 && c >= 2 && c < S - 2) seInner += d;
    if ((i + 1) % (S * S * 3) === 0) {
      // A perfect picture would be infinitely good: count it at 100 dB (none is, in practice).
      psnrSum += picture ? psnrDb(picture, S * S * 3) : 100;
      se += picture;
      picture = 0;
    }
  }
  if (s < 2000) reconFloat.push(tf.tidy(() => tf.div(tf.cast(y, 'float32'), 255)));
  if (s === 0) for (let i = 0; i < 16; i++) recon.push([Uint8Array.from(a.subarray(i * S * S * 3, (i + 1) * S * S * 3)), Uint8Array.from(b.subarray(i * S * S * 3, (i + 1) * S * S * 3))]);
  tf.dispose([x, y]);
}
out.psnr = +psnrDb(se, test.count * S * S * 3).toFixed(2);
out.psnr28 = +psnrDb(seInner, test.count * (S - 4) * (S - 4) * 3).toFixed(2);
out.psnrPictureMean = +(psnrSum / test.count).toFixed(2);
log(`reconstruction PSNR on ${test.count} test images: ${out.psnr} dB (32x32), ${out.psnr28} dB (the 28x28 picture), ${out.psnrPictureMean} dB as the mean of each picture's PSNR`);
await writeGrid(path.join(PATHS.figures, 'reconstructions.png'), [0, 1, 2, 3].map((r) => recon.slice((r >> 1) * 8, (r >> 1) * 8 + 8).map((p) => p[r & 1])), { size: S, scale: 4 });

// 1b. The float16 weights that ship against the float32 weights of the training checkpoint: the
// decoder-only phase's, or the tokenizer's, whichever exported the shipped weights last.
const ckptFile = ['decoder.ckpt', 'tokenizer.ckpt']
  .map((f) => path.join(PATHS.work, f))
  .filter((f) => fs.existsSync(f))
  .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
if (ckptFile) {
  const train = { count: 1, height: S, width: S, channels: 1, pixels: new Uint8Array(S * S) };
  const t32 = await TokenizerTrainer.resume(await loadTrainingCheckpoint(ckptFile), train);
  const n = 2000;
  const float16 = await testPsnr(test, n, (x) => titok.reconstruct(x, { output: 'uint8' }));
  const float32 = await testPsnr(test, n, (x) => reconstructUint8(t32.model, x));
  out.psnrFirst2000 = { float16: +float16.toFixed(3), float32: +float32.toFixed(3) };
  log(`first ${n} test images: ${out.psnrFirst2000.float16} dB with the shipped float16 weights, ${out.psnrFirst2000.float32} dB with float32`);
  t32.dispose();
}

// 2. Generated samples per class, and their class consistency under the classifier.
const classifier = await loadClassifier(path.join(PATHS.work, 'classifier'));
const perClassAccuracy = [];
out.classifierTestAccuracy = +(await accuracy(classifier, test, 500, perClassAccuracy)).toFixed(4);
out.classifierTestAccuracyPerClass = Object.fromEntries(perClassAccuracy.map((a, i) => [generator.config.classNames[i], +a.toFixed(3)]));
log(`classifier test accuracy: ${(100 * out.classifierTestAccuracy).toFixed(2)}%`);
{
  // The same classifier on reconstructions of the first 2000 test images: the ceiling the
  // tokenizer's blur leaves for generated images.
  const all = tf.concat(reconFloat);
  const pred = await classify(classifier, all);
  tf.dispose([all, ...reconFloat]);
  out.classifierAccuracyOnReconstructions = +(pred.filter((p, i) => p === test.labels[i]).length / pred.length).toFixed(4);
  log(`classifier accuracy on reconstructions of 2000 test images: ${(100 * out.classifierAccuracyOnReconstructions).toFixed(2)}%`);
}
const perClass = Number(opts['per-class']);
const names = generator.config.classNames;
const rows = [];
let agree = 0;
out.perClass = {};
for (let y = 0; y < generator.numClasses; y++) {
  const { tokens } = await generator.generate(new Array(perClass).fill(y), { seed: Number(opts.seed) * 1000 + y });
  const images = await titok.decode(tokens, { output: 'float' });
  const pred = await classify(classifier, images);
  const u8 = tf.tidy(() => tf.cast(tf.mul(images, 255), 'int32'));
  const bytes = await u8.data();
  tf.dispose([images, u8]);
  const hits = pred.filter((p) => p === y).length;
  agree += hits;
  out.perClass[names[y]] = +(hits / perClass).toFixed(3);
  rows.push(Array.from({ length: 10 }, (_, i) => Uint8Array.from(bytes.subarray(i * S * S * 3, (i + 1) * S * S * 3))));
  log(`  ${names[y]}: ${hits}/${perClass} classified as ${names[y]}`);
}
out.classConsistency = +(agree / (perClass * generator.numClasses)).toFixed(4);
out.samplesPerClass = perClass;
out.sampling = generator.config.sampling;
log(`class consistency of ${perClass * generator.numClasses} generated images: ${(100 * out.classConsistency).toFixed(2)}%`);
await writeGrid(path.join(PATHS.figures, 'samples.png'), rows, { size: S, scale: 3 });

// 3. Loss curves.
const training = JSON.parse(fs.readFileSync(path.join(PATHS.results, 'training.json'), 'utf8'));
const curve = (h, key) => h.map((e) => [e.step, e.losses[key]]);
await writeChart(path.join(PATHS.figures, 'loss-curves.png'), [
  {
    title: 'Tokenizer', xLabel: 'step', yLabel: 'loss (log scale)', logY: true,
    series: [
      { name: 'reconstruction MSE', points: curve(training.tokenizer.history, 'mse') },
      { name: 'commitment (x1, before β)', points: curve(training.tokenizer.history, 'commitment') },
    ],
  },
  {
    title: 'Generator', xLabel: 'step', yLabel: 'masked-token cross-entropy',
    series: [{ name: 'cross-entropy (no smoothing)', points: curve(training.generator.history, 'nll') }],
  },
]);
out.evaluation = timer.stop();
titok.dispose();
generator.dispose();
writeJson(path.join(PATHS.results, 'evaluation.json'), out);
log(`wrote ${PATHS.figures}/{reconstructions,samples,loss-curves}.png and ${path.join(PATHS.results, 'evaluation.json')}`);
