/**
 * Real-size smoke test: TiTok-S-128 as released (83.7 M parameters: ViT-S encoder and decoder,
 * 128 tokens, 4096-code l2-normalised codebook, the MaskGIT-VQGAN pixel decoder) built from its
 * preset config with random weights, encoding and decoding one 256x256 image on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { getPreset } from '@titok/core';
import type { TitokConfig } from '@titok/core';
import { TiTok } from '@titok/tokenizer';

it('TiTok-S-128 with random weights encodes and decodes a 256x256 image on wasm', async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  const preset = getPreset('titok_s128');
  const titok = TiTok.fromConfig(preset.config as TitokConfig, { seed: 2024 });
  try {
    expect(titok.model.numParameters()).toBe(preset.parameters);
    // a smooth picture, as 0..255 integers: prepareImages divides by 255
    const image = tf.tidy(() => {
      const ramp = tf.linspace(0, 255, 256);
      const r = tf.tile(tf.reshape(ramp, [1, 256, 1]), [256, 1, 1]);
      const g = tf.tile(tf.reshape(ramp, [256, 1, 1]), [1, 256, 1]);
      return tf.cast(tf.round(tf.concat([r, g, tf.sub(255, r)], 2)), 'int32');
    });
    const before = tf.memory().numTensors;
    const ids = (await titok.encode(image)) as tf.Tensor2D;
    expect(ids.shape).toEqual([1, 128]);
    expect(ids.dtype).toBe('int32');
    const idv = Array.from(await ids.data());
    expect(idv.every((v) => Number.isInteger(v) && v >= 0 && v < 4096)).toBe(true);
    expect(new Set(idv).size).toBeGreaterThan(1);

    let raw: { min: number; max: number; finite: boolean } | undefined;
    const decoded = await titok.decode(ids, {
      trace: (name, t) => {
        if (name !== 'pixel_decoder.out') return;
        const v = t.dataSync();
        raw = { min: Infinity, max: -Infinity, finite: true };
        for (const x of v) {
          raw.min = Math.min(raw.min, x);
          raw.max = Math.max(raw.max, x);
          raw.finite &&= Number.isFinite(x);
        }
      },
    });
    expect(decoded.shape).toEqual([1, 256, 256, 3]);
    expect(decoded.dtype).toBe('float32');
    expect(raw?.finite).toBe(true);
    expect(raw!.max).toBeGreaterThan(raw!.min);
    const [lo, hi] = tf.tidy(() => [tf.min(decoded).dataSync()[0]!, tf.max(decoded).dataSync()[0]!]);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(lo).toBeCloseTo(Math.min(1, Math.max(0, raw!.min)), 5);
    expect(hi).toBeCloseTo(Math.min(1, Math.max(0, raw!.max)), 5);
    tf.dispose([ids, decoded]);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  } finally {
    titok.dispose();
  }
});
