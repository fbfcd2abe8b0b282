/**
 * What the playground's worker does with a loaded model: tokenize an image, decode (edited)
 * tokens, interpolate between two token sequences, generate with step previews.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertPairable } from '@titok/generator';
import type { TitokGenerator } from '@titok/generator';
import { finishImages, prepareImages } from '@titok/tokenizer';
import type { TiTok } from '@titok/tokenizer';
import { PLAYGROUND_SEARCH } from './protocol';
import type { DecodeResult, EncodeResult, GenerateRequest, GenerateResult, InterpolateRequest, InterpolateResult, RgbImage, WorkerEvent } from './protocol';

/** N x H x W x 3 int32 (0..255) images to one RgbImage each; disposes the tensor. */
async function toRgbImages(t: tf.Tensor4D): Promise<RgbImage[]> {
  const [n, height, width] = t.shape;
  const values = await t.data();
  t.dispose();
  const plane = height * width * 3;
  return Array.from({ length: n }, (_, i) => ({ data: Uint8Array.from(values.subarray(i * plane, (i + 1) * plane)), width, height }));
}

/** Decodes an image file as it is stored: no colour-space conversion, no premultiplied alpha. */
async function readImageFile(blob: Blob): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas in this worker');
    ctx.drawImage(bitmap, 0, 0);
    return { data: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data, width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

/** Peak signal-to-noise ratio of two 8-bit images, in dB (Infinity when identical). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

export async function encodeImage(titok: TiTok, blob: Blob, search = false): Promise<EncodeResult> {
  const t0 = performance.now();
  const raw = await readImageFile(blob);
  const x = prepareImages(raw, { size: titok.imageSize });
  const [input] = await toRgbImages(tf.tidy(() => tf.cast(tf.round(tf.mul(x, 255)), 'int32')) as tf.Tensor4D);
  const t1 = performance.now();
  let tokens: number[] = [];
  let recon: tf.Tensor4D;
  let t2: number;
  try {
    const encoding = await titok.encode(x, { search: search && PLAYGROUND_SEARCH });
    if (encoding instanceof tf.Tensor) {
      tokens = Array.from(await encoding.data());
      encoding.dispose();
      t2 = performance.now();
      recon = await titok.decode([tokens], { output: 'uint8' });
    } else {
      const mean = encoding.mode();
      await mean.data();
      encoding.dispose();
      t2 = performance.now();
      try {
        recon = await titok.decode(mean as tf.Tensor3D, { output: 'uint8' });
      } finally {
        mean.dispose();
      }
    }
  } finally {
    x.dispose();
  }
  const [reconstruction] = await toRgbImages(recon);
  const t3 = performance.now();
  return {
    tokens,
    input: input!,
    reconstruction: reconstruction!,
    psnr: psnr(input!.data, reconstruction!.data),
    times: { prepare: t1 - t0, encode: t2 - t1, decode: t3 - t2 },
  };
}

function requireVq(titok: TiTok): void {
  if (titok.config.quantizeMode !== 'vq') throw new Error('token editing needs a VQ tokenizer (this one has continuous VAE tokens)');
}

export async function decodeTokens(titok: TiTok, tokens: number[]): Promise<DecodeResult> {
  requireVq(titok);
  const t0 = performance.now();
  const [image] = await toRgbImages(await titok.decode([tokens], { output: 'uint8' }));
  return { image: image!, ms: performance.now() - t0 };
}

/**
 * Frames between two token sequences: 'tokens' replaces the first k tokens of `from` with those
 * of `to` (k = 0..L); 'embedding' blends the two sequences' codebook vectors linearly (and
 * re-normalises them for l2-normalised codebooks), which only a 1D tokenizer's decoder can
 * take directly.
 */
export async function interpolate(titok: TiTok, req: InterpolateRequest): Promise<InterpolateResult> {
  requireVq(titok);
  const t0 = performance.now();
  const n = Math.max(2, Math.min(16, Math.round(req.frames)));
  const L = titok.numTokens;
  let images: tf.Tensor4D;
  if (req.mode === 'tokens') {
    const rows = Array.from({ length: n }, (_, i) => {
      const k = Math.round((i * L) / (n - 1));
      return [...req.to.slice(0, k), ...req.from.slice(k)];
    });
    images = await titok.decode(rows, { output: 'uint8' });
  } else {
    for (const row of [req.from, req.to]) {
      if (row.length !== L || row.some((v) => !Number.isInteger(v) || v < 0 || v >= titok.codebookSize)) {
        throw new Error(`interpolation needs ${L} token ids in [0, ${titok.codebookSize})`);
      }
    }
    const l2 = titok.config.useL2Norm;
    images = tf.tidy(() => {
      const ends = titok.model.lookup(tf.tensor2d([req.from, req.to], [2, L], 'int32'));
      const [a, b] = tf.split(ends, 2, 0);
      const t = tf.reshape(tf.linspace(0, 1, n), [n, 1, 1]);
      let z = tf.add(tf.mul(a!, tf.sub(1, t)), tf.mul(b!, t)) as tf.Tensor3D;
      if (l2) z = tf.div(z, tf.maximum(tf.norm(z, 'euclidean', -1, true), 1e-6)) as tf.Tensor3D;
      return finishImages(titok.model.decodeLatents(z), 'uint8');
    });
  }
  const frames = await toRgbImages(images);
  return { frames, ms: performance.now() - t0 };
}

function argmaxAt(values: Float32Array, offset: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (values[offset + k]! > values[offset + best]!) best = k;
  return best;
}

/**
 * Generates one image of a class. After every step the page gets the ids so far (the mask id
 * marks undecided positions) and, with `previews`, the decode of the model's current guess:
 * the decided ids plus, at masked positions, the most likely id of that step's logits.
 */
export async function generate(
  gen: TitokGenerator,
  titok: TiTok | undefined,
  req: GenerateRequest,
  signal: AbortSignal,
  emit: (e: WorkerEvent) => void,
): Promise<GenerateResult> {
  if (titok) assertPairable(gen, titok);
  const t0 = performance.now();
  const K = gen.codebookSize;
  let previews: Promise<void> = Promise.resolve();
  let last: RgbImage | undefined;
  const out = await gen.generate(req.classLabel, {
    seed: req.seed,
    numSteps: req.numSteps,
    guidanceScale: req.guidanceScale,
    guidanceDecay: req.guidanceDecay,
    randomizeTemperature: req.randomizeTemperature,
    signal,
    progress_callback: (p) => {
      const row = p.tokens[0]!;
      emit({ kind: 'step', step: p.step, total: p.total, tokens: [...row], maskId: K });
      if (!req.previews || !titok) return;
      const guess = row.map((id, i) => (id === K ? argmaxAt(p.guidedLogits, i * K, K) : id));
      const final = p.step === p.total - 1;
      previews = previews.then(async () => {
        const { image } = await decodeTokens(titok, guess);
        if (final) last = { ...image, data: image.data.slice() };
        emit({ kind: 'preview', step: p.step, image });
      });
    },
  });
  await previews;
  const tokens = out.tokens[0]!;
  const image = last ?? (titok ? (await decodeTokens(titok, tokens)).image : { data: new Uint8Array(0), width: 0, height: 0 });
  return { tokens, image, ms: performance.now() - t0 };
}
