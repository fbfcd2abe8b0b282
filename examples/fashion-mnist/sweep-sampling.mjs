#!/usr/bin/env node
/**
 * Class consistency of the shipped generator under a few sampling settings (guidance scale x
 * temperature), to choose its defaults (model.generator.guidance_scale, randomize_temperature).
 * Needs the classifier of train.mjs.
 *
 *   node examples/fashion-mnist/sweep-sampling.mjs [--per-class 20] [--guidance 0,1,2,4] [--temperature 1,2,4]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@titok/core';
import { TitokGenerator } from '@titok/generator';
import { TiTok } from '@titok/tokenizer';
import { classify } from './lib/classifier.mjs';
import { loadClassifier } from './lib/stages.mjs';
import { PATHS } from './settings.mjs';

const { values: opts } = parseArgs({
  options: {
    'per-class': { type: 'string', default: '20' },
    guidance: { type: 'string', default: '0,1,2,4' },
    temperature: { type: 'string', default: '1,2,4' },
    decay: { type: 'string', default: 'linear' },
    steps: { type: 'string', default: '8' },
  },
});
await selectBackend({ backend: 'wasm' });
const titok = await TiTok.fromPretrained(path.join(PATHS.models, 'tokenizer'), { parts: 'decoder' });
const generator = await TitokGenerator.fromPretrained(path.join(PATHS.models, 'generator'));
const classifier = await loadClassifier(path.join(PATHS.work, 'classifier'));
const n = Number(opts['per-class']);
const labels = Array.from({ length: 10 * n }, (_, i) => Math.floor(i / n));
for (const g of opts.guidance.split(',').map(Number)) {
  for (const t of opts.temperature.split(',').map(Number)) {
    const { tokens } = await generator.generate(labels, { seed: 99, guidanceScale: g, randomizeTemperature: t, guidanceDecay: opts.decay, numSteps: Number(opts.steps) });
    const images = await titok.decode(tokens);
    const pred = await classify(classifier, images);
    images.dispose();
    const hits = pred.filter((p, i) => p === labels[i]).length;
    const distinct = new Set(tokens.map((r) => r.join(','))).size;
    process.stdout.write(`guidance ${g} temperature ${t}: ${((100 * hits) / labels.length).toFixed(1)}% consistent, ${distinct}/${labels.length} distinct token sequences\n`);
  }
}
titok.dispose();
generator.dispose();
