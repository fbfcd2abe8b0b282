/**
 * The evaluation classifier: a small CNN in TensorFlow.js layers, trained on the Fashion-MNIST
 * training set (32x32 grey, padded), seeded and deterministic (seeded initialisers, data order
 * from the training RNG, no dropout). Used to check that generated images look like their class.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TrainingRng, ensureTrainingKernels } from '@titok/core';

/** Builds the network: two strided convolutions and a small dense head. */
export function buildClassifier(seed) {
  let s = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: s++ });
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [32, 32, 1], filters: 16, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  model.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init() }));
  model.add(tfl.layers.dense({ units: 10, kernelInitializer: init() }));
  model.compile({ optimizer: tf.train.adam(2e-3), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p) });
  return model;
}

/** Grey images `indices` of a LabelledImages as an N x 32 x 32 x 1 float batch in [0, 1]. */
export function greyBatch(data, indices) {
  const per = data.height * data.width;
  const out = new Float32Array(indices.length * per);
  indices.forEach((i, b) => {
    for (let p = 0; p < per; p++) out[b * per + p] = data.pixels[i * per + p] / 255;
  });
  return tf.tensor4d(out, [indices.length, data.height, data.width, 1]);
}

/** Trains for `epochs` over `train` with batches of `batchSize`; calls `onProgress(epoch, step, loss)`. */
export async function trainClassifier(train, { seed = 1, epochs = 3, batchSize = 64, onProgress } = {}) {
  ensureTrainingKernels();
  const model = buildClassifier(seed);
  const rng = new TrainingRng(seed);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = rng.derive(epoch).permutation(train.count);
    for (let b = 0; b + batchSize <= train.count; b += batchSize) {
      const idx = Array.from(order.subarray(b, b + batchSize));
      const x = greyBatch(train, idx);
      const y = tf.oneHot(tf.tensor1d(idx.map((i) => train.labels[i]), 'int32'), 10);
      const loss = await model.trainOnBatch(x, y);
      tf.dispose([x, y]);
      onProgress?.(epoch, b / batchSize, loss);
    }
  }
  return model;
}

/** Predicted labels of N x 32 x 32 x 1 (or x 3: the mean channel is used) float images. */
export async function classify(model, images) {
  const pred = tf.tidy(() => {
    const grey = images.shape[3] === 1 ? images : tf.mean(images, 3, true);
    return tf.argMax(model.predict(grey), 1);
  });
  const out = Array.from(await pred.data());
  pred.dispose();
  return out;
}

/** Accuracy of `model` on a LabelledImages set: overall, and per class in `perClass` (by label). */
export async function accuracy(model, data, batchSize = 500, perClass = []) {
  let right = 0;
  const seen = new Array(10).fill(0);
  const hit = new Array(10).fill(0);
  for (let s = 0; s < data.count; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, data.count - s) }, (_, i) => s + i);
    const x = greyBatch(data, idx);
    const p = await classify(model, x);
    x.dispose();
    p.forEach((y, i) => {
      const label = data.labels[idx[i]];
      seen[label]++;
      if (y === label) {
        right++;
        hit[label]++;
      }
    });
  }
  seen.forEach((n, i) => (perClass[i] = n ? hit[i] / n : NaN));
  return right / data.count;
}
