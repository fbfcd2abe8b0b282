/**
 * The model stages of one preset: tokenizers (encode, decode, reconstruct) and generators (one
 * guided sampling step, a full generation decoded by the paired tokenizer), with random weights
 * of the released shapes built from the preset with a fixed seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { generatorFlops, getPreset, tokenizerFlops } from '@titok/core';
import { TiTok } from '@titok/tokenizer';
import { TitokGenerator, generateImages } from '@titok/generator';
import { matmulGflops } from './micro.mjs';
import { makeRow, median, timeRuns, warn } from './measure.mjs';

async function readAndDispose(r) {
  if (r instanceof tf.Tensor) {
    await r.data();
    r.dispose();
  } else if (r && typeof r.mode === 'function') {
    const m = r.mode();
    await m.data();
    m.dispose();
    r.dispose();
  }
}

function checkLeak(before, what) {
  const after = tf.memory().numTensors;
  if (after !== before) warn(`warning: ${what} left ${after - before} tensors`);
}

async function tokenizerRows(ctx, job, preset, rows) {
  const c = preset.config;
  const stages = job.stages.filter((s) => ['encode', 'decode', 'reconstruct'].includes(s));
  if (!stages.length) return;
  const needsEnc = stages.some((s) => s !== 'decode');
  const needsDec = stages.some((s) => s !== 'encode');
  const parts = needsEnc && needsDec ? 'all' : needsEnc ? 'encoder' : 'decoder';
  const t0 = performance.now();
  const titok = TiTok.fromConfig(c, { seed: 1, parts });
  const loadMs = performance.now() - t0;
  const L = c.numLatentTokens;
  for (const stage of stages) {
    for (const n of job.batches) {
      const images = tf.randomUniform([n, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 7);
      const tokens = c.quantizeMode === 'vq' ? tf.randomUniform([n, L], 0, c.codebookSize, 'int32', 8) : tf.randomNormal([n, L, c.tokenSize], 0, 1, 'float32', 8);
      const before = tf.memory().numTensors;
      const fn = {
        encode: async () => readAndDispose(await titok.encode(images)),
        decode: async () => readAndDispose(await titok.decode(tokens)),
        reconstruct: async () => readAndDispose(await titok.reconstruct(images)),
      }[stage];
      const r = await timeRuns(fn, ctx.runs, ctx.budgetS);
      checkLeak(before, `${preset.name} ${stage}`);
      tf.dispose([images, tokens]);
      rows.push({ preset: preset.name, stage, batch: n, ...r, flopsPerImage: tokenizerFlops(c, stage), loadMs });
    }
  }
  titok.dispose();
}

async function generatorRows(ctx, job, preset, rows) {
  const c = preset.config;
  const t0 = performance.now();
  const gen = TitokGenerator.fromConfig(preset.name, { seed: 1 });
  const loadMs = performance.now() - t0;
  const stepMs = new Map();
  if (job.stages.includes('generator-step')) {
    const guidanceScale = c.sampling.guidanceScale || 1;
    for (const n of job.batches) {
      const labels = Array.from({ length: n }, (_, i) => (i * 97) % c.numClasses);
      const before = tf.memory().numTensors;
      const r = await timeRuns(() => gen.generate(labels, { numSteps: 1, guidanceDecay: 'constant', guidanceScale, seed: 1 }), ctx.runs, ctx.budgetS);
      checkLeak(before, `${preset.name} generator-step`);
      stepMs.set(n, median(r.times));
      rows.push({ preset: preset.name, stage: 'generator-step', batch: n, ...r, flopsPerImage: generatorFlops(c, 'step'), loadMs, extra: { guided: true } });
    }
  }
  if (job.stages.includes('generate')) {
    const tc = getPreset(preset.tokenizer).config;
    const t1 = performance.now();
    const tok = TiTok.fromConfig(tc, { seed: 2, parts: 'decoder' });
    const tokLoadMs = performance.now() - t1;
    await readAndDispose(await tok.decode(tf.zeros([1, tc.numLatentTokens], 'int32'))); // warm the decoder
    for (const n of job.batches) {
      const labels = Array.from({ length: n }, (_, i) => (i * 97) % c.numClasses);
      const estimate = (stepMs.get(n) ?? 0) * c.sampling.numSteps;
      const extra = { steps: c.sampling.numSteps, tokenizer_load_ms: Math.round(tokLoadMs) };
      if (estimate > 3 * ctx.budgetS * 1000) {
        warn(`skipping ${preset.name} generate batch ${n}: about ${Math.round(estimate / 1000)} s a run (--budget-s ${ctx.budgetS})`);
        continue;
      }
      const fn = async () => {
        const out = await generateImages(gen, tok, labels, { seed: 1 });
        await out.images.data();
        out.images.dispose();
      };
      const before = tf.memory().numTensors;
      const r =
        estimate > ctx.budgetS * 1000 * 0.5
          ? await (async () => {
              const s = performance.now();
              await fn();
              const ms = performance.now() - s;
              return { times: [ms], firstMs: ms, peakBytes: undefined };
            })()
          : await timeRuns(fn, ctx.runs, ctx.budgetS);
      checkLeak(before, `${preset.name} generate`);
      const flops = generatorFlops(c, 'generate', tokenizerFlops(tc, 'decode'));
      rows.push({ preset: preset.name, stage: 'generate', batch: n, ...r, flopsPerImage: flops, loadMs, extra });
    }
    tok.dispose();
  }
  gen.dispose();
}

/** Runs the job's stages and batches for its preset, then emits the rows. */
export async function modelRows(ctx, job) {
  const preset = getPreset(job.preset);
  const rows = [];
  if (preset.kind === 'generator') await generatorRows(ctx, job, preset, rows);
  else await tokenizerRows(ctx, job, preset, rows);
  ctx.matmulSamples.push(...(await matmulGflops(ctx.backend === 'webgpu' ? 1 : 3)));
  for (const r of rows) ctx.emit(makeRow(ctx, r));
}
