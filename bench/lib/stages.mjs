/**
 * The model stages of one preset: tokenizers (encode, decode, reconstruct) and generators (one
 * guided sampling step, a full generation decoded by the paired tokenizer), with random weights
 * of the released shapes built from the preset with a fixed seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { generatorFlops, getPreset, loadStateDict, tokenizerFlops } from '@titok/core';
import { TiTok } from '@titok/tokenizer';
import { TitokGenerator, generateImages } from '@titok/generator';
import { matmulGflops, matmulProbe } from './micro.mjs';
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

/**
 * Load time of `model` through the real loader (`loadStateDict`: strict key and shape check,
 * float32 conversion, upload, layout transforms), from a state dict serving the model's own
 * weights one tensor at a time in the checkpoint's layout; the time spent producing those bytes
 * (reading them back from the backend) is measured and left out. No file parsing or I/O.
 */
async function measureLoad(model) {
  let serving = 0;
  const tensors = new Map(
    model.weightEntries().map((e) => {
      const n = e.checkpointShape.reduce((a, b) => a * b, 1);
      const read = async () => {
        const t0 = performance.now();
        const value = e.variable.read();
        const t = e.owner.toCheckpointLayout(e.localKey, value);
        const bytes = new Uint8Array((await t.data()).buffer.slice(0));
        if (t !== value) t.dispose();
        serving += performance.now() - t0;
        return bytes;
      };
      return [e.key, { name: e.key, dtype: 'F32', shape: e.checkpointShape, byteLength: 4 * n, read }];
    }),
  );
  const sd = { format: 'safetensors', source: 'bench', tensors, metadata: {}, close: async () => {} };
  const t0 = performance.now();
  await loadStateDict(model, sd);
  return performance.now() - t0 - serving;
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
  const buildMs = performance.now() - t0;
  const loadMs = await measureLoad(titok.model);
  const probe = ctx.backend === 'webgpu' ? undefined : await matmulProbe();
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
      const r = await timeRuns(fn, ctx.runs, ctx.budgetS, probe?.sample);
      checkLeak(before, `${preset.name} ${stage}`);
      tf.dispose([images, tokens]);
      rows.push({ preset: preset.name, stage, batch: n, ...r, flopsPerImage: tokenizerFlops(c, stage), loadMs, buildMs });
    }
  }
  probe?.dispose();
  titok.dispose();
}

async function generatorRows(ctx, job, preset, rows) {
  const c = preset.config;
  const t0 = performance.now();
  const gen = TitokGenerator.fromConfig(preset.name, { seed: 1 });
  const buildMs = performance.now() - t0;
  const loadMs = await measureLoad(gen.network);
  const probe = ctx.backend === 'webgpu' ? undefined : await matmulProbe();
  const stepMs = new Map();
  if (job.stages.includes('generator-step')) {
    const guidanceScale = c.sampling.guidanceScale || 1;
    for (const n of job.batches) {
      const labels = Array.from({ length: n }, (_, i) => (i * 97) % c.numClasses);
      const before = tf.memory().numTensors;
      const r = await timeRuns(() => gen.generate(labels, { numSteps: 1, guidanceDecay: 'constant', guidanceScale, seed: 1 }), ctx.runs, ctx.budgetS, probe?.sample);
      checkLeak(before, `${preset.name} generator-step`);
      stepMs.set(n, median(r.times));
      rows.push({ preset: preset.name, stage: 'generator-step', batch: n, ...r, flopsPerImage: generatorFlops(c, 'step'), loadMs, buildMs, extra: { guided: true } });
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
              const matmulSamples = probe ? [await probe.sample()] : [];
              const s = performance.now();
              await fn();
              const ms = performance.now() - s;
              if (probe) matmulSamples.push(await probe.sample());
              return { times: [ms], firstMs: ms, peakBytes: undefined, matmulSamples };
            })()
          : await timeRuns(fn, ctx.runs, ctx.budgetS, probe?.sample);
      checkLeak(before, `${preset.name} generate`);
      const flops = generatorFlops(c, 'generate', tokenizerFlops(tc, 'decode'));
      rows.push({ preset: preset.name, stage: 'generate', batch: n, ...r, flopsPerImage: flops, loadMs, buildMs, extra });
    }
    tok.dispose();
  }
  probe?.dispose();
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
