/**
 * `titok encode` end to end: the built CLI, spawned, on the tiny fixture tokenizers. The
 * printed token ids must equal the reference's `quantize.indices` exactly, both from PNGs of
 * the exact fixture inputs and from the 256x256 originals (which the CLI resizes itself).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, fixturePath, loadExpected } from '../helpers/fixtures.js';
import { requireBuiltCli, runCli, tempDir, titokLines, writeFixtureImage } from './run-cli.js';

const ORIGINALS = ['chelsea', 'coffee'].map((n) => path.join(FIXTURES, 'images', `${n}_256.png`));

function indicesOf(expected: Map<string, { data: ArrayLike<number> }>): number[][] {
  const ids = Array.from(expected.get('quantize.indices')!.data);
  return [ids.slice(0, 8), ids.slice(8, 16)];
}

let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = tempDir('encode');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.each(['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel'])('titok encode %s', (model) => {
  let want: number[][];
  let pngs: string[];

  beforeAll(async () => {
    const expected = await loadExpected(model);
    want = indicesOf(expected);
    pngs = [0, 1].map((n) => path.join(dir, `${model}-input-${n}.png`));
    for (const [n, p] of pngs.entries()) await writeFixtureImage(expected.get('inputs.images')!, n, p);
  });

  it.each(['cpu', 'wasm'])('prints the reference token ids for the fixture inputs (--json, %s)', async (backend) => {
    const r = await runCli(['encode', ...pngs, '--model', fixturePath(model), '--json', '--backend', backend]);
    expect(titokLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({
      model: fixturePath(model),
      backend,
      images: [
        { file: pngs[0], tokens: want[0] },
        { file: pngs[1], tokens: want[1] },
      ],
    });
  });

  it('loads a bare checkpoint with --config (PyTorch .bin)', async () => {
    const r = await runCli(['encode', ...pngs, '--model', fixturePath(model, 'pytorch_model.bin'), '--config', fixturePath(model, 'config.json'), '--backend', 'cpu', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).images.map((i: { tokens: number[] }) => i.tokens)).toEqual(want);
  });

  it('resizes the 256x256 originals exactly as the reference did (same ids), one line per image', async () => {
    const r = await runCli(['encode', ...ORIGINALS, '-m', fixturePath(model), '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ORIGINALS[0]}: ${want[0]!.join(' ')}\n${ORIGINALS[1]}: ${want[1]!.join(' ')}\n`);
  });
});

describe('titok encode (VAE)', () => {
  it('prints the posterior mean and logvar, token-major L x C, within the fixture tolerance', async () => {
    const model = 'titok_tiny_vae';
    const expected = await loadExpected(model);
    const png = path.join(dir, 'vae-input-1.png');
    await writeFixtureImage(expected.get('inputs.images')!, 1, png);
    const r = await runCli(['encode', png, '--model', fixturePath(model), '--json'], { env: { TITOK_BACKEND: 'cpu' } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe('cpu');
    expect(out.images).toHaveLength(1);
    for (const key of ['mean', 'logvar'] as const) {
      const e = expected.get(`posterior.${key}`)!;
      const [, c, , l] = e.shape as [number, number, number, number]; // N C 1 L
      const got: number[][] = out.images[0][key];
      expect(got).toHaveLength(l);
      for (const [i, row] of got.entries()) {
        expect(row).toHaveLength(c);
        for (const [ch, v] of row.entries()) {
          const ref = e.data[(1 * c + ch) * l + i]!;
          expect(Math.abs(v - ref)).toBeLessThanOrEqual(e.tolerance.atol + e.tolerance.rtol * Math.abs(ref));
        }
      }
    }
    const text = await runCli(['encode', png, '--model', fixturePath(model), '--backend', 'cpu']);
    expect(text.stdout).toBe(`${png}: 8 continuous tokens x 16 channels (use --json for the values)\n`);
  });
});

describe('titok encode on webgpu (SwiftShader when there is no GPU)', () => {
  it('prints the reference token ids and reports the adapter with --debug', async () => {
    const model = 'titok_tiny_vq_pixel';
    const r = await runCli(['encode', ...ORIGINALS, '--model', fixturePath(model), '--json', '--backend', 'webgpu', '--debug']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe('webgpu');
    expect(out.images.map((i: { tokens: number[] }) => i.tokens)).toEqual(indicesOf(await loadExpected(model)));
    expect(titokLines(r.stderr)).toEqual([expect.stringMatching(/^backend: webgpu on \S+/)]);
  });
});
