/**
 * One data-parallel training replica for data-parallel.test.ts, run in a worker thread on the
 * built packages: trains a tiny tokenizer or generator (wasm backend, one thread) as replica
 * `index` of `count` (count 1: a plain single-process run), then posts every step's log and the
 * initial and final weights. `failAtStep` makes replica `failReplica` throw there.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, sharedMemoryReplica } from '@titok/core';
import { GeneratorTrainer } from '@titok/generator';
import { loadFashionMnist } from '@titok/io/node';
import { TokenizerTrainer } from '@titok/tokenizer';

const { kind, buffers, index, count, options, failAtStep, failReplica } = workerData;

const TOKENIZER = {
  model: {
    vq_model: {
      codebook_size: 16, token_size: 4, use_l2_norm: true, vit_enc_model_size: 'tiny', vit_dec_model_size: 'tiny',
      vit_enc_patch_size: 4, vit_dec_patch_size: 4, num_latent_tokens: 8, is_legacy: false,
    },
  },
  dataset: { preprocessing: { crop_size: 16 } },
  tiny: { encoder: { width: 16, num_layers: 1, num_heads: 2 }, decoder: { width: 16, num_layers: 1, num_heads: 2 }, mlp_ratio: 2 },
};
const GENERATOR = {
  model: {
    generator: {
      model_type: 'ViT', codebook_size: 16, image_seq_len: 8, hidden_size: 16, num_hidden_layers: 1,
      num_attention_heads: 2, intermediate_size: 32, condition_num_classes: 10,
    },
  },
};

/** 16 grey 16x16 images: the centres of Fashion-MNIST test images. */
async function images() {
  const test = await loadFashionMnist('test');
  const n = 16;
  const pixels = new Uint8Array(n * 256);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < 16; y++) pixels.set(test.pixels.subarray((i * 32 + 8 + y) * 32 + 8, (i * 32 + 8 + y) * 32 + 24), (i * 16 + y) * 16);
  }
  return { count: n, height: 16, width: 16, channels: 1, pixels };
}

/** 16 token sequences of 8 ids below 16, with labels. */
function tokens() {
  const ids = new Int32Array(16 * 8).map((_, i) => (i * 7 + Math.floor(i / 8) * 3) % 16);
  return { count: 16, seqLen: 8, ids, labels: new Uint8Array(16).map((_, i) => i % 10) };
}

await selectBackend({ backend: 'wasm', env: {} });
const trainer = kind === 'tokenizer' ? TokenizerTrainer.create(TOKENIZER, await images(), options) : GeneratorTrainer.create(GENERATOR, tokens(), options);
if (count > 1) trainer.useReplicas(sharedMemoryReplica(buffers, index, { timeoutMs: 60_000 }));
const snapshot = async () => {
  const out = {};
  for (const [k, v] of trainer.network.namedWeights()) out[k] = await v.read().data();
  return out;
};
const initial = await snapshot();
const log = [];
await trainer.train({
  progress_callback: (e) => {
    log.push(e.losses);
    if (e.step === failAtStep && index === failReplica) throw new Error(`replica ${index} fails at step ${e.step} on purpose`);
  },
});
parentPort.postMessage({ index, log, initial, weights: await snapshot() });
