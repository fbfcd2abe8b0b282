import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { ConfigError, InputError } from '@titok/core';
import { readSafetensors } from '@titok/io';
import { fixturePath, readJson } from '../../../../test/helpers/fixtures.js';
import { searchCodes } from './code-search.js';
import { TiTok } from './titok.js';

async function load(model: string): Promise<TiTok> {
  const sd = await readSafetensors(fs.readFileSync(fixturePath(model, 'model.safetensors')), 'model.safetensors');
  return TiTok.fromStateDict(readJson(model, 'config.json'), sd);
}

/** Each image's mean squared error of its reconstruction from `ids` (clipped to [0, 1]). */
async function errorsOf(titok: TiTok, ids: tf.Tensor2D, x: tf.Tensor4D): Promise<Float32Array> {
  const y = await titok.decode(ids);
  const e = tf.tidy(() => tf.mean(tf.square(tf.sub(y, x)), [1, 2, 3]));
  const out = e.dataSync() as Float32Array;
  tf.dispose([y, e]);
  return out;
}

describe('code search (TiTok.encode / reconstruct with search)', () => {
  let titok: TiTok;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    titok = await load('titok_tiny_vq_pixel');
    x = tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  });
  afterAll(() => {
    titok.dispose();
    x.dispose();
  });

  it('with one candidate, gives the nearest codes (encode without search)', async () => {
    const nearest = (await titok.encode(x)) as tf.Tensor2D;
    const one = (await titok.encode(x, { search: { candidates: 1 } })) as tf.Tensor2D;
    expect(one.dtype).toBe('int32');
    expect(one.arraySync()).toEqual(nearest.arraySync());
    tf.dispose([nearest, one]);
  });

  it('never reconstructs an image worse, improves these, and ends where no single candidate helps', async () => {
    const nearest = (await titok.encode(x)) as tf.Tensor2D;
    const k = 4;
    const searched = (await titok.encode(x, { search: { candidates: k, sweeps: 3 } })) as tf.Tensor2D;
    const [before, after] = [await errorsOf(titok, nearest, x), await errorsOf(titok, searched, x)];
    after.forEach((e, i) => expect(e).toBeLessThanOrEqual(before[i]!));
    expect(after.some((e, i) => e < before[i]! * 0.999)).toBe(true);
    // A local optimum: no token's switch to one of its k nearest codes lowers any image's error.
    const ids = searched.arraySync();
    const vq = titok.model.quantizer!;
    const pool = tf.tidy(() => {
      const z = tf.reshape(titok.model.encodeLatents(x), [-1, vq.tokenSize]) as tf.Tensor2D;
      return vq.nearestCandidates(vq.useL2Norm ? (tf.div(z, tf.norm(z, 'euclidean', -1, true)) as tf.Tensor2D) : z, k).arraySync();
    });
    const [n, l] = searched.shape;
    let tried = 0;
    for (let p = 0; p < l; p++) {
      for (let j = 0; j < k; j++) {
        const trial = ids.map((row, i) => row.map((c, q) => (q === p ? pool[i * l + p]![j]! : c)));
        const t = tf.tensor2d(trial, [n, l], 'int32');
        const e = await errorsOf(titok, t, x);
        t.dispose();
        e.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(after[i]!));
        tried++;
      }
    }
    expect(tried).toBe(l * k);
    tf.dispose([nearest, searched]);
  });

  it('reconstruct with search decodes the searched codes; chunks give the same; no tensor left behind', async () => {
    const search = { candidates: 3 };
    const ids = (await titok.encode(x, { search })) as tf.Tensor2D;
    const decoded = await titok.decode(ids, { output: 'uint8' });
    const chunked = (await titok.encode(x, { search, batchSize: 1 })) as tf.Tensor2D;
    // Alone, an image's search is the same as in a batch (each image keeps its own best).
    expect(chunked.arraySync()).toEqual(ids.arraySync());
    const run = async () => {
      const rec = await titok.reconstruct(x, { search, output: 'uint8', batchSize: 2 });
      const same = (rec.arraySync() as number[][][][]).every((img, i) => JSON.stringify(img) === JSON.stringify((decoded.arraySync() as number[][][][])[i]));
      rec.dispose();
      return same;
    };
    expect(await run()).toBe(true);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) await run();
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([ids, decoded, chunked]);
  });

  it('guided (tries): decodes only the ranked candidates, never worse, still improves; all tries is the plain search', async () => {
    const nearest = (await titok.encode(x)) as tf.Tensor2D;
    const plain = (await titok.encode(x, { search: { candidates: 4, sweeps: 2 } })) as tf.Tensor2D;
    // Three tries of four candidates is every other candidate: no ranking, the same ids.
    const all = (await titok.encode(x, { search: { candidates: 4, sweeps: 2, tries: 3 } })) as tf.Tensor2D;
    expect(all.arraySync()).toEqual(plain.arraySync());
    const decodes = jest.spyOn(titok.model, 'decodeLatents');
    const [l, sweeps, tries] = [nearest.shape[1], 2, 1];
    const guided = (await titok.encode(x, { search: { candidates: 6, sweeps, tries } })) as tf.Tensor2D;
    // The first error, then per sweep one forward pass for the gradient and at most L x tries decodes.
    expect(decodes.mock.calls.length).toBeGreaterThan(1 + sweeps);
    expect(decodes.mock.calls.length).toBeLessThanOrEqual(1 + sweeps * (1 + l * tries));
    decodes.mockRestore();
    const [before, after] = [await errorsOf(titok, nearest, x), await errorsOf(titok, guided, x)];
    after.forEach((e, i) => expect(e).toBeLessThanOrEqual(before[i]!));
    expect(after.some((e, i) => e < before[i]! * 0.999)).toBe(true);
    // 70 pictures take two backward passes (64 + 6); two batches of 35, one each: the same ids.
    const many = tf.randomUniform([70, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const search = { candidates: 3, tries: 1 };
    const [whole, halves] = [(await titok.encode(many, { search })) as tf.Tensor2D, (await titok.encode(many, { search, batchSize: 35 })) as tf.Tensor2D];
    expect(whole.arraySync()).toEqual(halves.arraySync());
    tf.dispose([many, whole, halves]);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) tf.dispose((await titok.encode(x, { search: { candidates: 6, tries: 2 } })) as tf.Tensor2D);
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([nearest, plain, all, guided]);
  });

  it('refuses bad settings and VAE tokenizers, naming the problem', async () => {
    await expect(titok.encode(x, { search: { candidates: 0 } })).rejects.toThrow(InputError);
    await expect(titok.encode(x, { search: { sweeps: 1.5 } })).rejects.toThrow(/search.sweeps must be a whole number of 1 or more, got 1.5/);
    await expect(titok.encode(x, { search: { tries: 0 } })).rejects.toThrow(/search.tries must be a whole number of 1 or more, got 0/);
    const vae = await load('titok_tiny_vae');
    await expect(vae.reconstruct(x, { search: true })).rejects.toThrow(ConfigError);
    await expect(searchCodes(vae.model, x, { candidates: 2, sweeps: 1 })).rejects.toThrow(/code search is for VQ tokenizers/);
    vae.dispose();
  });
});
