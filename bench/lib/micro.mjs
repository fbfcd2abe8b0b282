/**
 * Micro-benchmarks of the active backend: the large matrix product (1024x4096 @ 4096x1024),
 * self-attention at the models' real sequence lengths (titok-js' attention, fused on wasm),
 * and a 3x3 convolution at 256x256x128 (the pixel decoder's largest).
 */
import * as tf from '@tensorflow/tfjs-core';
import { packedAttention } from '@titok/core';
import { makeRow, timeRuns } from './measure.mjs';

/** The large matrix product: 1024x4096 @ 4096x1024 (`setMatmulShape` for slow software GPUs). */
let MM = [1024, 4096, 1024];
let MM_FLOPS = 2 * MM[0] * MM[1] * MM[2];

export function setMatmulShape(shape) {
  MM = shape;
  MM_FLOPS = 2 * MM[0] * MM[1] * MM[2];
}

async function sync(t) {
  await t.data();
  t.dispose();
}

/**
 * One large product on demand (after one warm-up), for sampling the backend's speed between a
 * row's runs: `run()` (one product, synced), `sample()` (GFLOP/s of one product), `dispose()`.
 */
export async function matmulProbe() {
  const a = tf.randomUniform([MM[0], MM[1]], -1, 1, 'float32', 1);
  const b = tf.randomUniform([MM[1], MM[2]], -1, 1, 'float32', 2);
  const run = () => sync(tf.matMul(a, b));
  await run();
  return {
    run,
    async sample() {
      const t0 = performance.now();
      await run();
      return MM_FLOPS / (performance.now() - t0) / 1e6;
    },
    dispose: () => tf.dispose([a, b]),
  };
}

/** GFLOP/s of `runs` large matrix products (after one warm-up). */
export async function matmulGflops(runs) {
  const probe = await matmulProbe();
  try {
    const out = [];
    for (let i = 0; i < runs; i++) out.push(await probe.sample());
    return out;
  } finally {
    probe.dispose();
  }
}

/** Emits the micro rows: matmul, attention at each [T, D, heads, n], conv3x3. */
export async function microRows(ctx, micro = {}) {
  const rows = [];
  const runs = ctx.runs;
  {
    const probe = await matmulProbe();
    const r = await timeRuns(probe.run, runs, ctx.budgetS);
    probe.dispose();
    rows.push({ preset: 'micro', stage: `matmul ${MM[0]}x${MM[1]} @ ${MM[1]}x${MM[2]}`, batch: 1, ...r, flopsPerImage: MM_FLOPS });
  }
  for (const [t, d, h, n] of micro.attention ?? []) {
    const qkv = tf.randomUniform([n, t, 3 * d], -1, 1, 'float32', 3);
    const r = await timeRuns(() => sync(packedAttention(qkv, h)), runs, ctx.budgetS);
    qkv.dispose();
    // scores and context: 2 · (2·T²·D) per sequence; n sequences per "image" (guided generators: 2)
    rows.push({ preset: 'micro', stage: `attention T=${t} D=${d} H=${h} x${n}`, batch: 1, ...r, flopsPerImage: n * 4 * t * t * d });
  }
  if (micro.conv !== false) {
    const side = ctx.backend === 'webgpu' ? 64 : 256;
    const x = tf.randomUniform([1, side, side, 128], -1, 1, 'float32', 4);
    const w = tf.randomUniform([3, 3, 128, 128], -0.1, 0.1, 'float32', 5);
    const r = await timeRuns(() => sync(tf.conv2d(x, w, 1, 'same')), runs, ctx.budgetS);
    tf.dispose([x, w]);
    rows.push({ preset: 'micro', stage: `conv3x3 ${side}x${side}x128`, batch: 1, ...r, flopsPerImage: 2 * side * side * 9 * 128 * 128 });
  }
  ctx.matmulSamples.push(...(await matmulGflops(ctx.backend === 'webgpu' ? 1 : 3)));
  for (const r of rows) ctx.emit(makeRow(ctx, r));
}
