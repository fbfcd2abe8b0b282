/**
 * Acceptance: every fixture checkpoint (six models; .safetensors, zip .bin, legacy .bin, fp16,
 * bf16) reads back equal to the model's float32 safetensors, and converts to tfjs weights that
 * read back the same (bit-exact float32, float16 rounded to nearest even).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StateDict } from '@titok/core';
import { readCheckpoint, openModelSource } from '@titok/io';
import { fileSource, writeTfjsFolder } from '@titok/io/node';
import { FIXTURES } from '../helpers/fixtures.js';

const MODELS = ['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel', 'titok_tiny_vae', 'maskgit_vqgan_tiny', 'generator_tiny_bert', 'generator_tiny_uvit'];
const FILES = MODELS.flatMap((m) => fs.readdirSync(path.join(FIXTURES, m)).filter((f) => /^(model|pytorch_model).*\.(bin|safetensors)$/.test(f)).map((f) => [m, f] as const));

const open = async (...p: string[]) => readCheckpoint(await fileSource(path.join(FIXTURES, ...p)));
const u32 = (b: Uint8Array) => new Uint32Array(b.slice().buffer);
const u16 = (b: Uint8Array) => new Uint16Array(b.slice().buffer);

/** float32 bits -> float16 bits, round to nearest even (independent of the library's converter). */
function toHalf(bits: number): number {
  const f = new Float32Array(new Uint32Array([bits]).buffer)[0]!;
  if (Number.isNaN(f)) return 0x7e00;
  let best = 0;
  let bestErr = Infinity;
  // binary search over the ordered positive halves, then pick the nearest with ties to even
  const a = Math.abs(f);
  let lo = 0;
  let hi = 0x7c00;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (halfValue(mid) < a) lo = mid + 1;
    else hi = mid;
  }
  for (const h of [lo - 1, lo]) {
    if (h < 0 || h > 0x7c00) continue;
    const e = Math.abs(halfValue(h) - a);
    if (e < bestErr || (e === bestErr && (h & 1) === 0)) [best, bestErr] = [h, e];
  }
  if (a >= 65520) best = 0x7c00;
  return (f < 0 || Object.is(f, -0) ? 0x8000 : 0) | best;
}
function halfValue(h: number): number {
  const e = h >> 10;
  const m = h & 0x3ff;
  return e === 0 ? m * 2 ** -24 : e === 31 ? Infinity : (1 + m / 1024) * 2 ** (e - 15);
}
/** float32 bits -> bfloat16 bits, round to nearest even. */
const toBf16 = (bits: number) => ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;

async function expectSame(ref: StateDict, sd: StateDict, how: 'exact' | 'F16' | 'BF16'): Promise<void> {
  expect([...sd.tensors.keys()].sort()).toEqual([...ref.tensors.keys()].sort());
  for (const [name, r] of ref.tensors) {
    const t = sd.tensors.get(name)!;
    expect([name, t.shape]).toEqual([name, r.shape]);
    const want = await r.read();
    const got = await t.read();
    if (how === 'exact' || r.dtype !== 'F32') {
      expect(t.dtype).toBe(r.dtype);
      if (!Buffer.from(got).equals(Buffer.from(want))) throw new Error(`${sd.source}: tensor ${name} differs`);
    } else {
      expect(t.dtype).toBe(how);
      const w = u32(want);
      const g = u16(got);
      const round = how === 'F16' ? toHalf : toBf16;
      for (let i = 0; i < w.length; i++) if (g[i] !== round(w[i]!)) throw new Error(`${sd.source}: ${name}[${i}] is ${g[i]}, expected ${round(w[i]!)}`);
    }
  }
}

describe('every fixture checkpoint reads back equal to its float32 safetensors', () => {
  it('finds all the checkpoint files', () => {
    expect(FILES.length).toBe(6 * 2 + 1 + 2); // safetensors + zip .bin per model, one legacy .bin, fp16, bf16
    expect(FILES.map((f) => f[1])).toEqual(expect.arrayContaining(["pytorch_model_legacy.bin", "model.fp16.safetensors", "model.bf16.safetensors"]));
  });

  it.each(FILES)('%s/%s', async (model, file) => {
    const ref = await open(model, 'model.safetensors');
    const sd = await open(model, file);
    expect(sd.format).toBe(file.endsWith('.safetensors') ? 'safetensors' : file.includes('legacy') ? 'torch-legacy' : 'torch-zip');
    await expectSame(ref, sd, file.includes('fp16') ? 'F16' : file.includes('bf16') ? 'BF16' : 'exact');
    await Promise.all([ref.close(), sd.close()]);
  });
});

describe('converted tfjs folders read back the same', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-parity-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each(MODELS)('%s (float32 bit-exact, float16 rounded to nearest even)', async (model) => {
    const src = await openModelSource(path.join(FIXTURES, model, 'pytorch_model.bin'), { config: path.join(FIXTURES, model, 'config.json') });
    for (const dtype of ['float32', 'float16'] as const) {
      const out = path.join(tmp, `${model}-${dtype}`);
      await writeTfjsFolder(src.stateDict, out, { dtype, configJson: src.configJson });
      const back = await openModelSource(out);
      expect(back.config).toEqual(src.config);
      await expectSame(src.stateDict, back.stateDict, dtype === 'float32' ? 'exact' : 'F16');
      await back.close();
    }
    await src.close();
  });
});
