import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ConfigError, l2Normalize, selectBackend } from '@titok/core';
import type { BackendName } from '@titok/core';
import { decodeTrainingCheckpoint, encodeTrainingCheckpoint } from '@titok/io';
import { loadFashionMnist } from '@titok/io/node';
import { TokenizerTrainer } from './tokenizer-trainer.js';
import type { TokenizerTrainingOptions } from './tokenizer-trainer.js';
import { imageBatch } from './training-images.js';
import { nearestCodes } from './nearest-codes.js';
import type { TrainingImages } from './training-images.js';
import { TINY_TOKENIZER_CONFIG as CONFIG } from './__tests__/tiny-tokenizer.js';

/** Eight 16x16 grey images: the centres of Fashion-MNIST test images (padded 28 -> 32, cropped). */
async function fashionImages(count: number): Promise<TrainingImages> {
  const test = await loadFashionMnist('test');
  const pixels = new Uint8Array(count * 256);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < 16; y++) pixels.set(test.pixels.subarray((i * 32 + 8 + y) * 32 + 8, (i * 32 + 8 + y) * 32 + 24), (i * 16 + y) * 16);
  }
  return { count, height: 16, width: 16, channels: 1, pixels };
}

const OPTIONS: TokenizerTrainingOptions = { seed: 11, steps: 4, batchSize: 4, learningRate: 3e-3, warmupSteps: 1, deadCodeSteps: 2 };

async function weightsOf(t: TokenizerTrainer): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of t.model.namedWeights()) out.set(k, (await v.read().data()) as Float32Array);
  return out;
}

function expectSameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, v] of a) expect(Buffer.from(b.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
}

describe.each(['cpu', 'wasm'] as BackendName[])('TokenizerTrainer on %s', (backend) => {
  let images: TrainingImages;

  beforeAll(async () => {
    await selectBackend({ backend, env: {} });
    images = await fashionImages(8);
  });

  it('lowers the reconstruction loss on a few Fashion-MNIST images, with no tensor left behind', async () => {
    // Fewer steps on the (slow) cpu backend; the loss halves within them either way.
    const steps = backend === 'cpu' ? 8 : 14;
    const t = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, steps, batchSize: 8, learningRate: 1e-2 });
    const first = await t.trainStep();
    const count = tf.memory().numTensors;
    await t.train({ progress_callback: () => expect(tf.memory().numTensors).toBe(count) });
    const last = t.history.slice(-2).reduce((s, e) => s + e.losses.mse!, 0) / 2;
    expect(last).toBeLessThan(first.losses.mse! * 0.5);
    expect(t.history.map((e) => e.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    for (const k of ['loss', 'mse', 'codebook', 'commitment', 'grad_norm', 'codes']) expect(Number.isFinite(t.history[steps - 1]!.losses[k])).toBe(true);
    t.dispose();
  });

  it('is deterministic for a seed, and a seed changes the run', async () => {
    const run = async (seed: number) => {
      const t = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, seed });
      await t.train();
      const w = await weightsOf(t);
      t.dispose();
      return w;
    };
    const a = await run(11);
    expectSameWeights(a, await run(11));
    const c = await run(12);
    expect(Buffer.from(c.get('encoder.conv_out.weight')!.buffer).equals(Buffer.from(a.get('encoder.conv_out.weight')!.buffer))).toBe(false);
  });

  // Both change only the gradient that reaches the encoder: the forward pass is straight-through's.
  it.each([
    ['rotation', {}],
    ['soft', { softCandidates: 4, softTemperature: 0.05 }],
  ] as const)('the %s estimator: same first loss, other encoder updates, and training still works', async (estimator, extra) => {
    const settings = { ...OPTIONS, steps: backend === 'cpu' ? 8 : 14, batchSize: 8, learningRate: 1e-2 };
    const straight = TokenizerTrainer.create(CONFIG, images, settings);
    const other = TokenizerTrainer.create(CONFIG, images, { ...settings, estimator, ...extra });
    expect(other.options.estimator).toBe(estimator);
    expect(straight.options.estimator).toBe('straight-through');
    const a = await straight.trainStep();
    const b = await other.trainStep();
    expect(b.losses.mse).toBe(a.losses.mse);
    const [wa, wb] = [await weightsOf(straight), await weightsOf(other)];
    expect(Buffer.from(wb.get('encoder.conv_out.weight')!.buffer).equals(Buffer.from(wa.get('encoder.conv_out.weight')!.buffer))).toBe(false);
    const count = tf.memory().numTensors;
    await other.train({ progress_callback: () => expect(tf.memory().numTensors).toBe(count) });
    const last = other.history.slice(-2).reduce((s, e) => s + e.losses.mse!, 0) / 2;
    expect(last).toBeLessThan(b.losses.mse! * 0.5);
    straight.dispose();
    other.dispose();
  });

  it("the noise estimator: another forward pass, training works, and a run is the same for its seed and when resumed", async () => {
    const settings = { ...OPTIONS, steps: backend === 'cpu' ? 8 : 14, batchSize: 8, learningRate: 1e-2 };
    const straight = TokenizerTrainer.create(CONFIG, images, settings);
    const noisy = TokenizerTrainer.create(CONFIG, images, { ...settings, estimator: 'noise' });
    const a = await straight.trainStep();
    const b = await noisy.trainStep();
    // The decoder gets z moved randomly by the quantisation error, not the code: another MSE.
    expect(b.losses.mse).not.toBe(a.losses.mse);
    // The codebook and commitment terms do not depend on the decoder's input.
    expect(b.losses.codebook).toBe(a.losses.codebook);
    const count = tf.memory().numTensors;
    let saved: Uint8Array | undefined;
    await noisy.train({ checkpointEvery: 4, onCheckpoint: async (c) => void (c.step === 4 && (saved = await encodeTrainingCheckpoint(c))), progress_callback: () => expect(tf.memory().numTensors).toBe(count) });
    const last = noisy.history.slice(-2).reduce((s, e) => s + e.losses.mse!, 0) / 2;
    expect(last).toBeLessThan(b.losses.mse! * 0.5);
    const again = TokenizerTrainer.create(CONFIG, images, { ...settings, estimator: 'noise' });
    await again.train();
    expectSameWeights(await weightsOf(again), await weightsOf(noisy));
    const resumed = await TokenizerTrainer.resume(await decodeTrainingCheckpoint(saved!), images);
    await resumed.train();
    expectSameWeights(await weightsOf(resumed), await weightsOf(noisy));
    for (const t of [straight, noisy, again, resumed]) t.dispose();
  });

  it('continuous: the decoder is fed the encoder vectors themselves, and training still works', async () => {
    const settings = { ...OPTIONS, steps: backend === 'cpu' ? 8 : 14, batchSize: 8, learningRate: 1e-2, continuous: true };
    const t = TokenizerTrainer.create(CONFIG, images, settings);
    // The batch is all 8 images (in some order): its MSE through z itself, before any update.
    const expected = tf.tidy(() => {
      const x = imageBatch(images, Int32Array.from({ length: 8 }, (_, i) => i));
      const y = t.model.decodeLatents(l2Normalize(t.model.encodeLatents(x)) as tf.Tensor3D);
      return tf.mean(tf.squaredDifference(y, x)).dataSync()[0]!;
    });
    const first = await t.trainStep();
    expect(first.losses.mse).toBeCloseTo(expected, 6);
    const count = tf.memory().numTensors;
    await t.train({ progress_callback: () => expect(tf.memory().numTensors).toBe(count) });
    const last = t.history.slice(-2).reduce((s, e) => s + e.losses.mse!, 0) / 2;
    expect(last).toBeLessThan(first.losses.mse! * 0.5);
    t.dispose();
  });

  it('restartUntil: no code restarts after that step', async () => {
    const run = async (extra: Partial<TokenizerTrainingOptions>) => {
      const t = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, steps: 8, ...extra });
      await t.train();
      t.dispose();
      return t.history.map((e) => e.losses.restarted!);
    };
    const always = await run({});
    expect(always.slice(3).some((n) => n > 0)).toBe(true);
    const until3 = await run({ restartUntil: 3 });
    expect(until3.slice(0, 3)).toEqual(always.slice(0, 3));
    expect(until3.slice(3)).toEqual([0, 0, 0, 0, 0]);
  });

  it('finetuneDecoderFrom: after that step only the decoder trains, the codes frozen', async () => {
    const plain = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, steps: 6 });
    const tuned = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, steps: 6, finetuneDecoderFrom: 2 });
    await plain.train({ until: 2 });
    await tuned.train({ until: 2 });
    const atSwitch = await weightsOf(tuned);
    expectSameWeights(atSwitch, await weightsOf(plain));
    const count = tf.memory().numTensors;
    await tuned.train();
    expect(tf.memory().numTensors).toBe(count);
    const after = await weightsOf(tuned);
    const same = (k: string) => Buffer.from(after.get(k)!.buffer).equals(Buffer.from(atSwitch.get(k)!.buffer));
    const keys = [...after.keys()];
    const decoder = keys.filter((k) => k.startsWith('decoder.'));
    expect(decoder.length).toBeGreaterThan(0);
    expect(decoder.filter(same)).toEqual([]);
    // Encoder, latent tokens and codebook keep their values: every image keeps its codes.
    expect(keys.filter((k) => !k.startsWith('decoder.') && !same(k))).toEqual([]);
    expect(keys).toContain('quantize.embedding.weight');
    expect(tuned.history.slice(2).map((e) => e.losses.restarted)).toEqual([0, 0, 0, 0]);
    // The whole model went on training in the plain run (its restarts aside, the encoder moved).
    await plain.train();
    expect(Buffer.from((await weightsOf(plain)).get('latent_tokens')!.buffer).equals(Buffer.from(atSwitch.get('latent_tokens')!.buffer))).toBe(false);
    // A checkpoint taken in the decoder-only phase resumes bit for bit.
    const mid = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, steps: 6, finetuneDecoderFrom: 2 });
    let saved: Uint8Array | undefined;
    await mid.train({ until: 4, checkpointEvery: 4, onCheckpoint: async (c) => void (saved = await encodeTrainingCheckpoint(c)) });
    const resumed = await TokenizerTrainer.resume(await decodeTrainingCheckpoint(saved!), images);
    expect(resumed.options.finetuneDecoderFrom).toBe(2);
    await resumed.train();
    expectSameWeights(await weightsOf(resumed), after);
    for (const t of [plain, tuned, mid, resumed]) t.dispose();
  });

  it('a decoder-only phase appended to a finished run by resume({ steps, finetuneDecoderFrom }): only the decoder moves, and the phase resumes bit for bit', async () => {
    const run = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, estimator: 'noise' });
    let finished: Uint8Array | undefined;
    await run.train({ onCheckpoint: async (c) => void (finished = await encodeTrainingCheckpoint(c)) });
    const before = await weightsOf(run);
    const tuned = await TokenizerTrainer.resume(await decodeTrainingCheckpoint(finished!), images, { steps: 7, finetuneDecoderFrom: 4 });
    expect([tuned.step, tuned.options.steps, tuned.options.finetuneDecoderFrom, tuned.options.estimator]).toEqual([4, 7, 4, 'noise']);
    let mid: Uint8Array | undefined;
    await tuned.train({ until: 5, onCheckpoint: async (c) => void (mid = await encodeTrainingCheckpoint(c)) });
    await tuned.train();
    const after = await weightsOf(tuned);
    const moved = [...after.keys()].filter((k) => !Buffer.from(after.get(k)!.buffer).equals(Buffer.from(before.get(k)!.buffer)));
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((k) => !k.startsWith('decoder.'))).toEqual([]);
    // The phase's own checkpoint keeps its settings, so it resumes with no overrides.
    const resumed = await TokenizerTrainer.resume(await decodeTrainingCheckpoint(mid!), images);
    expect([resumed.step, resumed.options.steps, resumed.options.finetuneDecoderFrom]).toEqual([5, 7, 4]);
    await resumed.train();
    expectSameWeights(await weightsOf(resumed), after);
    for (const t of [run, tuned, resumed]) t.dispose();
  });

  it('finetuneDecoderFrom with the noise estimator: the decoder fine-tunes on the codes themselves, not on noise', async () => {
    const t = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, steps: 4, estimator: 'noise', finetuneDecoderFrom: 2 });
    await t.train({ until: 2 });
    // The MSE of step 3's batch decoded from its nearest codes, before the step.
    const expected = tf.tidy(() => {
      const x = imageBatch(images, t.batchIndices(2));
      const latents = t.model.encodeLatents(x);
      const [n, l, c] = latents.shape;
      const z = tf.reshape(l2Normalize(latents), [n * l, c]) as tf.Tensor2D;
      const { rows } = nearestCodes(t.model.quantizer!, z, t.model.quantizer!.codebook());
      const y = t.model.decodeLatents(tf.reshape(rows, [n, l, c]) as tf.Tensor3D);
      return tf.mean(tf.squaredDifference(y, x)).dataSync()[0]!;
    });
    const step3 = await t.trainStep();
    expect(step3.losses.mse).toBeCloseTo(expected, 6);
    t.dispose();
  });

  it('continuousSteps: the first steps are continuous ones, the later ones quantised', async () => {
    const warm = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, continuousSteps: 2 });
    const continuous = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, continuous: true });
    await warm.train({ until: 2 });
    await continuous.train({ until: 2 });
    expectSameWeights(await weightsOf(warm), await weightsOf(continuous));
    expect(warm.history.map((e) => e.losses.mse)).toEqual(continuous.history.map((e) => e.losses.mse));
    // Step 3 decodes the codes: same codebook and commitment terms, another reconstruction.
    const [a, b] = [await warm.trainStep(), await continuous.trainStep()];
    expect(a.losses.commitment).toBe(b.losses.commitment);
    expect(a.losses.mse).not.toBe(b.losses.mse);
    warm.dispose();
    continuous.dispose();
  });

  it("codebookUpdate 'ema': each row becomes the moving average of the vectors assigned to it", async () => {
    const decay = 0.9;
    const prior = 3;
    const t = TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, codebookUpdate: 'ema', codebookDecay: decay, codebookPrior: prior, deadCodeSteps: 0 });
    const table = () => t.model.quantizer!.embedding.namedWeights().get('weight')!.read().dataSync() as Float32Array;
    const before = Float32Array.from(table());
    // The step's codes and vectors, from the weights before its update (as the step sees them).
    const [ids, vectors] = tf.tidy(() => {
      const x = imageBatch(images, t.batchIndices(0));
      const z = tf.reshape(l2Normalize(t.model.encodeLatents(x)), [-1, 4]) as tf.Tensor2D;
      const codebook = t.model.quantizer!.codebook();
      const { indices } = nearestCodes(t.model.quantizer!, z, codebook);
      return [indices.dataSync() as Int32Array, z.dataSync() as Float32Array];
    });
    const first = await t.trainStep();
    const after = table();
    let moved = 0;
    for (let k = 0; k < 16; k++) {
      const mine = [...ids.keys()].filter((i) => ids[i] === k);
      if (mine.length) moved++;
      for (let j = 0; j < 4; j++) {
        const sum = mine.reduce((s, i) => s + vectors[i * 4 + j]!, 0);
        // The row counts as `prior` vectors of the step before: weight γ·prior now, 1 a vector.
        const expected = (decay * prior * before[k * 4 + j]! + sum) / (decay * prior + mine.length);
        expect(after[k * 4 + j]).toBeCloseTo(expected, 5);
      }
    }
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(16);
    // The codebook loss is still reported, and training still lowers the reconstruction loss.
    expect(first.losses.codebook).toBeGreaterThan(0);
    const count = tf.memory().numTensors;
    await t.train({ until: backend === 'cpu' ? 8 : 14, progress_callback: () => expect(tf.memory().numTensors).toBe(count) });
    expect(t.history.slice(-2).reduce((s, e) => s + e.losses.mse!, 0) / 2).toBeLessThan(first.losses.mse!);
    t.dispose();
  });

  it("codebookUpdate 'ema' with restarts resumes bit for bit (the averages are in the checkpoint)", async () => {
    const options = { ...OPTIONS, codebookUpdate: 'ema' as const };
    const straight = TokenizerTrainer.create(CONFIG, images, options);
    await straight.train();
    expect(straight.history.some((e) => e.losses.restarted! > 0)).toBe(true);
    const first = TokenizerTrainer.create(CONFIG, images, options);
    let saved: Uint8Array | undefined;
    await first.train({ until: 2, checkpointEvery: 2, onCheckpoint: async (c) => void (saved = await encodeTrainingCheckpoint(c)) });
    first.dispose();
    const ckpt = await decodeTrainingCheckpoint(saved!);
    expect(ckpt.tensors.get('extra.codebook_ema_sums')!.shape).toEqual([16, 4]);
    const resumed = await TokenizerTrainer.resume(ckpt, images);
    await resumed.train();
    expectSameWeights(await weightsOf(resumed), await weightsOf(straight));
    resumed.dispose();
    straight.dispose();
  });

  it('resumes bit for bit: N steps = k steps, save, load, N - k steps', async () => {
    const straight = TokenizerTrainer.create(CONFIG, images, OPTIONS);
    await straight.train();
    const first = TokenizerTrainer.create(CONFIG, images, OPTIONS);
    let saved: Uint8Array | undefined;
    await first.train({ until: 2, checkpointEvery: 2, onCheckpoint: async (c) => void (saved = await encodeTrainingCheckpoint(c)) });
    first.dispose();
    const ckpt = await decodeTrainingCheckpoint(saved!);
    expect(ckpt.step).toBe(2);
    // Weights and moments are kept in PyTorch's layout, whatever layout the layers use inside.
    for (const prefix of ['model.', 'adam.m.', 'adam.v.']) {
      expect(ckpt.tensors.get(`${prefix}encoder.transformer.0.attn.in_proj_weight`)!.shape).toEqual([48, 16]);
      expect(ckpt.tensors.get(`${prefix}encoder.patch_embed.weight`)!.shape).toEqual([16, 3, 4, 4]);
      expect(ckpt.tensors.get(`${prefix}decoder.decoder_embed.weight`)!.shape).toEqual([16, 4]);
    }
    const resumed = await TokenizerTrainer.resume(ckpt, images);
    expect(resumed.step).toBe(2);
    await resumed.train();
    expectSameWeights(await weightsOf(resumed), await weightsOf(straight));
    expect(resumed.history).toEqual(straight.history.map((e, i) => ({ ...e, elapsed: resumed.history[i]!.elapsed })));
    resumed.dispose();
    straight.dispose();
  });
});

describe('TokenizerTrainer errors', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('refuses legacy tokenizers and images of the wrong size', () => {
    const images: TrainingImages = { count: 1, height: 16, width: 16, channels: 1, pixels: new Uint8Array(256) };
    const legacy = { ...CONFIG, model: { vq_model: { ...CONFIG.model.vq_model, is_legacy: true } } };
    expect(() => TokenizerTrainer.create(legacy, images, OPTIONS)).toThrow(ConfigError);
    expect(() => TokenizerTrainer.create(CONFIG, { ...images, height: 8, width: 8, pixels: new Uint8Array(64) }, OPTIONS)).toThrow(/8x8, the model takes 16x16/);
    expect(() => TokenizerTrainer.create(CONFIG, { ...images, pixels: new Uint8Array(10) }, OPTIONS)).toThrow(/10 bytes for 1 images/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, estimator: 'gumbel' as 'rotation' })).toThrow(/estimator "gumbel": straight-through or rotation or soft or noise/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, estimator: 'soft', softTemperature: 0 })).toThrow(/softTemperature must be a positive number, got 0/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, estimator: 'soft', softCandidates: 1 })).toThrow(/softCandidates must be a whole number of codes \(2 or more\), got 1/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, continuousSteps: 1.5 })).toThrow(/continuousSteps must be a whole number of steps \(0 or more\), got 1.5/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, continuousSteps: -1 })).toThrow(ConfigError);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, codebookUpdate: 'kmeans' as 'ema' })).toThrow(/codebookUpdate "kmeans": loss or ema/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, codebookDecay: 1 })).toThrow(/codebookDecay must be between 0 and 1 \(exclusive\), got 1/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, restartUntil: -2 })).toThrow(/restartUntil must be a whole number of steps \(0 or more\), got -2/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, finetuneDecoderFrom: 2.5 })).toThrow(/finetuneDecoderFrom must be a whole number of steps \(0 or more\), got 2.5/);
    expect(() => TokenizerTrainer.create(CONFIG, images, { ...OPTIONS, codebookPrior: 0 })).toThrow(/codebookPrior must be a positive number of vectors, got 0/);
  });
});
