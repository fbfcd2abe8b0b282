/**
 * `titok decode` and `titok reconstruct` end to end on the tiny fixture tokenizers: images
 * written by the built CLI are compared with the reference's decodes (8-bit, truncated; 1 step
 * of slack where x * 255 lands within float error of an integer).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixturePath, loadExpected } from '../helpers/fixtures.js';
import type { ExpectedTensor } from '../helpers/fixtures.js';
import { readRgb, requireBuiltCli, runCli, tempDir, titokLines, writeFixtureImage } from './run-cli.js';

/** Batch element n of an NCHW float tensor as the reference demo's 8-bit HWC image. */
function toUint8Hwc(t: ExpectedTensor, n: number): Uint8Array {
  const [, c, h, w] = t.shape as [number, number, number, number];
  const out = new Uint8Array(h * w * c);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < h * w; i++) out[i * c + ch] = Math.floor(Math.min(1, Math.max(0, t.data[(n * c + ch) * h * w + i]!)) * 255);
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = tempDir('decode');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('titok decode', () => {
  it.each(['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel'])(
    '%s: decodes `encode --json` output and bare id arrays like the reference',
    async (model) => {
      const expected = await loadExpected(model);
      const ids = Array.from(expected.get('quantize.indices')!.data);
      const reference = expected.get('decode_tokens.uint8')!; // N H W 3
      const plane = reference.data.length / 2;
      const tokens = path.join(dir, `${model}-tokens.json`);
      fs.writeFileSync(tokens, JSON.stringify({ model, backend: 'cpu', images: [{ file: 'a', tokens: ids.slice(0, 8) }, { file: 'b', tokens: ids.slice(8) }] }));
      const out = path.join(dir, `${model}.png`);
      const r = await runCli(['decode', tokens, '--model', fixturePath(model), '--out', out, '--backend', 'cpu']);
      expect(titokLines(r.stderr)).toEqual([]);
      expect(r.code).toBe(0);
      const [o0, o1] = [0, 1].map((i) => path.join(dir, `${model}-${i}.png`));
      expect(r.stdout).toMatch(new RegExp(`^wrote ${o0} \\(\\d+x\\d+\\)\\nwrote ${o1} `));
      for (const [n, file] of [o0!, o1!].entries()) {
        const img = await readRgb(file);
        expect(maxDiff(img.data, reference.data.subarray(n * plane, (n + 1) * plane))).toBeLessThanOrEqual(1);
      }

      const bare = path.join(dir, `${model}-bare.json`);
      fs.writeFileSync(bare, JSON.stringify(ids.slice(8)));
      const single = path.join(dir, `${model}-single.png`);
      const r2 = await runCli(['decode', bare, '--model', fixturePath(model), '--out', single, '--backend', 'cpu']);
      expect(r2.code).toBe(0);
      expect(maxDiff((await readRgb(single)).data, reference.data.subarray(plane))).toBeLessThanOrEqual(1);
    },
  );

  it('decodes the posterior mean of a VAE model from `encode --json` output', async () => {
    const model = 'titok_tiny_vae';
    const expected = await loadExpected(model);
    const png = path.join(dir, 'vae-in.png');
    await writeFixtureImage(expected.get('inputs.images')!, 0, png);
    const enc = await runCli(['encode', png, '--model', fixturePath(model), '--json', '--backend', 'cpu']);
    expect(enc.code).toBe(0);
    const tokens = path.join(dir, 'vae-tokens.json');
    fs.writeFileSync(tokens, enc.stdout);
    const out = path.join(dir, 'vae-out.png');
    const r = await runCli(['decode', tokens, '--model', fixturePath(model), '--out', out, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(maxDiff((await readRgb(out)).data, toUint8Hwc(expected.get('decode_of_mean')!, 0))).toBeLessThanOrEqual(1);
  });
});

describe('titok reconstruct', () => {
  it('prints the tokens and the PSNR of what it wrote, and never overwrites without --force', async () => {
    const model = 'titok_tiny_vq_legacy';
    const expected = await loadExpected(model);
    const png = path.join(dir, 'rec-in.png');
    await writeFixtureImage(expected.get('inputs.images')!, 1, png);
    const out = path.join(dir, 'rec-out.png');
    const r = await runCli(['reconstruct', png, '--model', fixturePath(model), '--out', out, '--backend', 'cpu']);
    expect(titokLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`tokens: ${Array.from(expected.get('quantize.indices')!.data).slice(8).join(' ')}`);
    const written = await readRgb(out);
    expect([written.width, written.height]).toEqual([64, 64]);
    expect(maxDiff(written.data, toUint8Hwc(expected.get('decoded')!, 1))).toBeLessThanOrEqual(1);
    const db = psnr((await readRgb(png)).data, written.data);
    expect(lines[1]).toBe(`PSNR: ${db.toFixed(2)} dB (64x64, against the resized input)`);
    expect(lines[2]).toBe(`wrote ${out}`);

    const before = fs.readFileSync(out);
    fs.writeFileSync(out, 'keep me');
    const again = await runCli(['reconstruct', png, '--model', fixturePath(model), '--out', out, '--backend', 'cpu']);
    expect(again.code).toBe(2);
    expect(titokLines(again.stderr)).toEqual([`titok: error: ${out} already exists (add --force to overwrite it)`]);
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me');
    const forced = await runCli(['reconstruct', png, '--model', fixturePath(model), '--out', out, '--backend', 'cpu', '--force']);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(out)).toEqual(before);
  });
});
