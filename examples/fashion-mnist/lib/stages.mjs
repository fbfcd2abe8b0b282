/** Helpers of the training script: exporting models, saving the classifier, timing, JSON. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { snapshotWeights } from '@titok/core';
import { writeTfjsFolder } from '@titok/io/node';

/** A StateDict view of a layer tree's weights, in PyTorch layout (what checkpoints hold). */
export async function modelStateDict(layer, source) {
  const tensors = new Map();
  for (const [key, { shape, data }] of await snapshotWeights(layer)) {
    const bytes = new Uint8Array(data.buffer);
    tensors.set(key, { name: key, dtype: 'F32', shape, byteLength: bytes.byteLength, read: async () => bytes });
  }
  return { format: 'safetensors', source, tensors, metadata: {}, close: async () => {} };
}

/** Writes a model as a tfjs weights folder (model.json, shards, config.json), atomically. */
export async function exportModel(layer, configJson, dir, dtype) {
  const sd = await modelStateDict(layer, path.basename(dir));
  const written = await writeTfjsFolder(sd, dir, { force: true, dtype, configJson, convertedBy: 'titok-js examples/fashion-mnist/train.mjs' });
  return written.bytes;
}

/** Saves a tfjs-layers model as model.json + weights.bin in `dir`. */
export async function saveClassifier(model, dir) {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(a.weightData));
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Loads {@link saveClassifier}'s folder. */
export async function loadClassifier(dir) {
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const w = fs.readFileSync(path.join(dir, 'weights.bin'));
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: j.weightSpecs, weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) }));
}

/** Wall-clock and CPU time (user + system, all threads) of a stage. */
export function stageTimer() {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return {
    stop() {
      const c = process.cpuUsage(c0);
      return { wallSeconds: +((performance.now() - t0) / 1000).toFixed(1), cpuSeconds: +((c.user + c.system) / 1e6).toFixed(1) };
    },
  };
}

export function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 1)}\n`);
}

/**
 * Writes the first test image of every class as a 32x32 PNG (`<class>.png`, the padded picture
 * the model takes), for the README's demo and the playground.
 */
export async function writeSampleImages(test, classNames, dir) {
  const { writePng } = await import('./images.mjs');
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  for (let y = 0; y < classNames.length; y++) {
    const i = test.labels.indexOf(y);
    const grey = test.pixels.subarray(i * test.height * test.width, (i + 1) * test.height * test.width);
    const rgb = new Uint8Array(grey.length * 3);
    grey.forEach((v, p) => rgb.fill(v, p * 3, p * 3 + 3));
    const file = path.join(dir, `${classNames[y].replace(/[^a-z0-9]+/g, '-')}.png`);
    await writePng(file, rgb, test.width, test.height);
    files.push(file);
  }
  return files;
}
