/**
 * Acceptance: what `titok convert` writes loads with TensorFlow.js' own loaders
 * (`tf.io.weightsLoaderFactory` over the shard files, `tf.io.decodeWeights`) and gives back
 * the checkpoint's tensors: bit-exact in float32, correctly rounded in float16.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { floatToHalf, halfToFloat, toFloat32 } from '@titok/core';
import { readCheckpoint } from '@titok/io';
import type { TfjsModelJson } from '@titok/io';
import { fileSource, writeTfjsFolder } from '@titok/io/node';
import { FIXTURES } from '../helpers/fixtures.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-tfjs-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function convert(model: string, file: string, dtype: 'float32' | 'float16', shardBytes?: number) {
  const sd = await readCheckpoint(await fileSource(path.join(FIXTURES, model, file)));
  const out = path.join(tmp, `${model}-${file}-${dtype}-${shardBytes ?? 'default'}`);
  const { model: json } = await writeTfjsFolder(sd, out, { dtype, shardBytes });
  return { sd, out, json: json as TfjsModelJson };
}

async function loadWithTfjs(out: string): Promise<Record<string, tf.Tensor>> {
  const manifest = (JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')) as TfjsModelJson).weightsManifest;
  const load = tf.io.weightsLoaderFactory(async (paths: string[]) => paths.map((p) => new Uint8Array(fs.readFileSync(p)).buffer));
  return load(manifest as tf.io.WeightsManifestConfig, out + path.sep);
}

describe('tfjs loaders read converted weights', () => {
  it.each([
    ['titok_tiny_vq_legacy', 'pytorch_model.bin', undefined],
    ['titok_tiny_vq_pixel', 'model.bf16.safetensors', undefined],
    ['generator_tiny_uvit', 'pytorch_model.bin', 10_000],
  ])('float32 from %s/%s is bit-exact (shards: %s)', async (model, file, shardBytes) => {
    const { sd, out, json } = await convert(model, file, 'float32', shardBytes);
    if (shardBytes) expect(json.weightsManifest[0]!.paths.length).toBeGreaterThan(10);
    const loaded = await loadWithTfjs(out);
    expect(Object.keys(loaded).sort()).toEqual([...sd.tensors.keys()].sort());
    for (const t of sd.tensors.values()) {
      const x = loaded[t.name]!;
      expect(x.shape).toEqual([...t.shape]);
      expect(x.dtype).toBe('float32');
      const got = new Uint32Array((x.dataSync() as Float32Array).slice().buffer);
      const want = new Uint32Array(toFloat32(await t.read(), t.dtype).buffer);
      if (!Buffer.from(got.buffer).equals(Buffer.from(want.buffer))) throw new Error(`${t.name} differs`);
    }
    tf.dispose(Object.values(loaded));
    await sd.close();
  });

  it('float16 decodes to the nearest float16 of every float32 value (tf.io.decodeWeights)', async () => {
    const { sd, out, json } = await convert('maskgit_vqgan_tiny', 'model.safetensors', 'float16');
    const group = json.weightsManifest[0]!;
    const data = group.paths.map((p) => new Uint8Array(fs.readFileSync(path.join(out, p))).buffer);
    const decoded = tf.io.decodeWeights(data, group.weights as tf.io.WeightsManifestEntry[]);
    let compared = 0;
    for (const t of sd.tensors.values()) {
      const got = decoded[t.name]!.dataSync() as Float32Array;
      const want = toFloat32(await t.read(), t.dtype);
      for (let i = 0; i < want.length; i++) {
        const h = halfToFloat(floatToHalf(want[i]!));
        if (!Object.is(got[i], h)) throw new Error(`${t.name}[${i}]: tfjs gives ${got[i]} for ${want[i]}, expected ${h}`);
        // within half an ulp of float16 (checks the rounding itself, not just agreement)
        if (!(Math.abs(got[i]! - want[i]!) <= Math.max(Math.abs(want[i]!) * 2 ** -11, 2 ** -25))) throw new Error(`${t.name}[${i}] is not rounded to nearest`);
      }
      compared += want.length;
    }
    expect(compared).toBe(376403);
    tf.dispose(Object.values(decoded));
  });
});
