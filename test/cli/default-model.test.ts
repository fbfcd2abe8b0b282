/**
 * The CLI's bundled default model (packages/cli/models/fashion-mnist, trained with titok-js):
 * `titok reconstruct <image>` and `titok generate --class sneaker` with no model argument, run
 * from a folder outside the repository, offline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { REPO, requireBuiltCli, runCli, tempDir, titokLines } from './run-cli.js';

const MODEL = path.join(REPO, 'packages/cli/models/fashion-mnist');
const dir = tempDir('default-model');
const OFFLINE = { TITOK_OFFLINE: '1', HF_HUB_OFFLINE: '1' };

beforeAll(() => requireBuiltCli());
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the default Fashion-MNIST model', () => {
  it('is shipped in the CLI package: tfjs weights, config.json, class names, sample images', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'packages/cli/package.json'), 'utf8'));
    expect(pkg.files).toContain('models');
    for (const part of ['tokenizer', 'generator']) {
      const model = JSON.parse(fs.readFileSync(path.join(MODEL, part, 'model.json'), 'utf8'));
      expect(model.format).toBe('titok-weights');
      const bytes = model.weightsManifest[0].paths.reduce((s: number, p: string) => s + fs.statSync(path.join(MODEL, part, p)).size, 0);
      expect(bytes).toBeLessThan(4e6);
    }
    const gen = JSON.parse(fs.readFileSync(path.join(MODEL, 'generator/config.json'), 'utf8'));
    expect(gen.model.generator.class_names[7]).toBe('sneaker');
    expect(JSON.parse(fs.readFileSync(path.join(MODEL, 'tokenizer/config.json'), 'utf8')).model.vq_model.is_legacy).toBe(false);
    expect(fs.existsSync(path.join(MODEL, 'samples/ankle-boot.png'))).toBe(true);
  });

  it('reconstructs an image with no --model, from another folder, offline, and well', async () => {
    const out = path.join(dir, 'rec.png');
    const r = await runCli(['reconstruct', path.join(MODEL, 'samples/ankle-boot.png'), '--out', out, '--backend', 'wasm'], { cwd: dir, env: OFFLINE });
    expect(titokLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const tokens = /tokens: ([\d ]+)\n/.exec(r.stdout)![1]!.trim().split(' ');
    expect(tokens).toHaveLength(32);
    const db = Number(/PSNR: ([\d.]+) dB/.exec(r.stdout)![1]);
    expect(db).toBeGreaterThan(18);
    expect(await sharp(out).metadata()).toMatchObject({ width: 32, height: 32 });
  });

  it('reconstructs better with --search, and encode --search gives those tokens', async () => {
    const image = path.join(MODEL, 'samples/ankle-boot.png');
    const run = async (extra: string[]) => {
      const r = await runCli(['reconstruct', image, '--out', path.join(dir, `rec${extra.length}.png`), '--backend', 'wasm', ...extra], { cwd: dir, env: OFFLINE });
      expect(titokLines(r.stderr)).toEqual([]);
      expect(r.code).toBe(0);
      return { tokens: /tokens: ([\d ]+)\n/.exec(r.stdout)![1]!.trim(), db: Number(/PSNR: ([\d.]+) dB/.exec(r.stdout)![1]) };
    };
    const [nearest, searched] = [await run([]), await run(['--search', '--search-candidates', '4'])];
    expect(searched.tokens.split(' ')).toHaveLength(32);
    expect(searched.tokens).not.toBe(nearest.tokens);
    expect(searched.db).toBeGreaterThan(nearest.db);
    // Guided: 2 of 8 candidates decoded per token, ranked by the gradient.
    const guided = await run(['--search', '--search-candidates', '8', '--search-tries', '2']);
    expect(guided.tokens).not.toBe(nearest.tokens);
    expect(guided.db).toBeGreaterThan(nearest.db);
    const enc = await runCli(['encode', image, '--search', '--search-candidates', '4', '--json', '--backend', 'wasm'], { cwd: dir, env: OFFLINE });
    expect(enc.code).toBe(0);
    expect(JSON.parse(enc.stdout).images[0].tokens.join(' ')).toBe(searched.tokens);
    const bad = await runCli(['encode', image, '--search-sweeps', '2'], { cwd: dir, env: OFFLINE });
    expect(bad.code).toBe(2);
    expect(titokLines(bad.stderr)).toEqual(['titok: error: --search-candidates, --search-sweeps and --search-tries need --search']);
  });

  it("generates sneakers by the model's own class name, with no --generator", async () => {
    const out = path.join(dir, 'gen');
    const r = await runCli(['generate', '--class', 'sneaker', '--class', 'Ankle Boot', '--seed', '3', '--out', out, '--backend', 'wasm'], { cwd: dir, env: OFFLINE });
    expect(titokLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['0-7-sneaker.png', '1-9-ankle-boot.png', 'tokens.json']);
    expect(r.stdout).toMatch(/class 7 sneaker/);
    const img = await sharp(path.join(out, '0-7-sneaker.png')).raw().toBuffer({ resolveWithObject: true });
    expect([img.info.width, img.info.height]).toEqual([32, 32]);
    // A picture, not noise or a blank: a dark padded border and a lit object inside.
    const mean = (rows: number[], cols: number[]) => {
      let s = 0;
      for (const y of rows) for (const x of cols) s += img.data[(y * 32 + x) * img.info.channels]!;
      return s / (rows.length * cols.length);
    };
    const all = Array.from({ length: 32 }, (_, i) => i);
    expect(mean([0, 1, 30, 31], all)).toBeLessThan(20);
    expect(Math.max(...img.data)).toBeGreaterThan(150);
  });

  it('says what to pass when the bundled model is missing', async () => {
    const r = await runCli(['generate', '--class', 'sneaker', '--out', dir], { cwd: dir, env: { TITOK_CLI_ROOT: path.join(dir, 'nowhere') } });
    expect(r.code).toBe(2);
    expect(titokLines(r.stderr)).toEqual(['titok: error: --generator is required: the bundled default model (models/fashion-mnist of @titok/cli) was not found']);
  });
});
