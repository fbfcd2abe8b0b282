/**
 * `titok generate` end to end with the built CLI (`npx turbo run build --filter=@titok/cli...`):
 * the tiny BERT generator with its tokenizer titok_tiny_vq_legacy writes PNG images and
 * tokens.json; recorded noise (--noise) reproduces the reference's ids step by step; errors are
 * one line with exit code 2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeSafetensors } from '@titok/io';
import { TitokGenerator } from '@titok/generator';
import { TiTok } from '@titok/tokenizer';
import { fixturePath, loadExpected } from '../helpers/fixtures.js';
import { releaseTestBackend, useTestBackend } from '../helpers/backends.js';
import { readRgb, requireBuiltCli, runCli, tempDir, titokLines } from '../cli/run-cli.js';
import { recordedRuns } from './generator-fixtures.js';
import type { GeneratorFixture } from './generator-fixtures.js';

const BERT = fixturePath('generator_tiny_bert');
const UVIT = fixturePath('generator_tiny_uvit');
const TOKENIZER = fixturePath('titok_tiny_vq_legacy');

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = tempDir('generate');
});
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseTestBackend();
});

interface GenerateJson {
  tokens: number[][];
  steps: { step: number; ids: number[][] }[];
  labels: number[];
  images: { file: string; class: number; tokens: number[] }[];
}

describe('titok generate', () => {
  it('writes one PNG per image and tokens.json, matching the library on the same backend', async () => {
    const out = path.join(dir, 'images');
    const r = await runCli(['generate', '--generator', BERT, '--tokenizer', TOKENIZER, '--class', '2', '--class', '7', '--count', '2', '--seed', '11', '--out', out, '--backend', 'wasm']);
    expect(titokLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const names = ['0-2.png', '1-2.png', '2-7.png', '3-7.png'];
    expect(fs.readdirSync(out).sort()).toEqual([...names, 'tokens.json'].sort());
    const written = JSON.parse(fs.readFileSync(path.join(out, 'tokens.json'), 'utf8')) as GenerateJson;
    expect(written.labels).toEqual([2, 2, 7, 7]);
    expect(r.stdout).toContain(`class 7: ${written.tokens[3]!.join(' ')}`);

    await useTestBackend('wasm');
    const gen = await TitokGenerator.fromPretrained(BERT);
    const tok = await TiTok.fromPretrained(TOKENIZER, { parts: 'decoder' });
    try {
      const lib = await gen.generate([2, 2, 7, 7], { seed: 11 });
      expect(written.tokens).toEqual(lib.tokens);
      expect(written.images.map((i) => i.tokens)).toEqual(lib.tokens);
      expect(new Set(written.tokens.map((t) => t.join())).size).toBe(4);
      const images = await tok.decode(lib.tokens, { output: 'uint8' });
      const px = Uint8Array.from(await images.data());
      images.dispose();
      for (const [i, name] of names.entries()) {
        const png = await readRgb(path.join(out, name));
        expect([png.width, png.height]).toEqual([64, 64]);
        expect(Buffer.from(png.data).equals(Buffer.from(px.subarray(i * 64 * 64 * 3, (i + 1) * 64 * 64 * 3)))).toBe(true);
      }
    } finally {
      gen.dispose();
      tok.dispose();
    }

    const again = await runCli(['generate', '--generator', BERT, '--tokenizer', TOKENIZER, '--class', '2', '--out', out, '--backend', 'wasm']);
    expect(again.code).toBe(2);
    expect(titokLines(again.stderr)).toEqual([`titok: error: ${path.join(out, '0-2.png')} already exists (add --force to overwrite it)`]);
    const forced = await runCli(['generate', '--generator', BERT, '--tokenizer', TOKENIZER, '--class', '2', '--out', out, '--force', '--backend', 'wasm']);
    expect(forced.code).toBe(0);
  });

  it('without --tokenizer writes tokens.json only, which `titok decode` turns into images', async () => {
    const out = path.join(dir, 'tokens-only');
    const r = await runCli(['generate', '--generator', UVIT, '--class', '4', '--seed', '3', '--json', '--out', out, '--backend', 'wasm']);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out)).toEqual(['tokens.json']);
    const printed = JSON.parse(r.stdout) as GenerateJson;
    expect(JSON.parse(fs.readFileSync(path.join(out, 'tokens.json'), 'utf8'))).toEqual(printed);
    expect(printed.steps.length).toBe(8);
    expect(printed.steps[7]!.ids).toEqual(printed.tokens);
    const png = path.join(out, 'decoded.png');
    const d = await runCli(['decode', path.join(out, 'tokens.json'), '--model', TOKENIZER, '--out', png, '--backend', 'wasm']);
    expect(d.code).toBe(0);
    expect((await readRgb(png)).width).toBe(64);
  });

  it.each([
    ['generator_tiny_bert', 'linear_annealed'],
    ['generator_tiny_bert', 'power_cosine'],
    ['generator_tiny_uvit', 'power_cosine'],
  ] as [GeneratorFixture, string][])('%s %s: --noise replays the recorded uniforms to the reference ids of every step', async (model, runName) => {
    const run = recordedRuns(model).find(([n]) => n === runName)![1];
    const ex = await loadExpected(model);
    const a = run.arguments;
    const tensors = [...ex.values()]
      .filter((t) => t.name.startsWith(`generate.${runName}.`) && /\.step\d+\.uniform_(logits|confidence)$/.test(t.name))
      .map((t) => ({ name: t.name.slice(`generate.${runName}.`.length), dtype: 'F32' as const, shape: t.shape, data: new Uint8Array((t.data as Float32Array).slice().buffer) }));
    expect(tensors.length).toBe(2 * a.num_sample_steps);
    const noise = path.join(dir, `${model}-${runName}.safetensors`);
    fs.writeFileSync(noise, await encodeSafetensors(tensors));
    const args = ['generate', '--generator', fixturePath(model), '--noise', noise, '--json', '--out', path.join(dir, `${model}-${runName}`), '--backend', 'wasm'];
    for (const y of run.labels) args.push('--class', String(y));
    args.push('--steps', String(a.num_sample_steps), '--guidance', String(a.guidance_scale), '--guidance-decay', a.guidance_decay);
    args.push('--guidance-pow', String(a.guidance_scale_pow), '--temperature', String(a.randomize_temperature));
    if (a.softmax_temperature_annealing) args.push('--anneal');
    const r = await runCli(args);
    expect(titokLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as GenerateJson;
    expect(out.tokens).toEqual(run.final_ids);
    out.steps.forEach((s, i) => {
      const ids = Array.from(ex.get(`generate.${runName}.step${i}.ids_out`)!.data);
      expect([s.step, s.ids.flat()]).toEqual([i, ids]);
    });
  });

  it.each([
    [['--class', '10'], 'class 10 is out of range: this generator has classes 0..9'],
    [['--class', 'goldfish'], "class 'goldfish': names are ImageNet classes, but this generator has 10 classes; give an index in 0..9"],
    [['--class', '1', '--steps', '0'], '--steps must be at least 1, got 0'],
    [['--class', '1', '--guidance=-2'], '--guidance must be at least 0, got -2'],
    [['--class', '1', '--guidance-decay', 'cosine'], "--guidance-decay must be one of constant, linear, power-cosine, got 'cosine'"],
    [['--class', '1', '--tokenizer', fixturePath('titok_tiny_vq_pixel')], "the generator makes tokens from a codebook of 64 but the tokenizer's codebook has 128: use the tokenizer the generator was trained with"],
    [['--class', '1', '--seed', '4', '--noise', 'x.safetensors'], '--seed and --noise exclude each other: recorded noise replaces the seeded generator'],
    [[], "give at least one --class (an index such as 207 or an ImageNet name such as 'golden retriever')"],
  ])('refuses %j with one line and exit code 2', async (extra, message) => {
    const r = await runCli(['generate', '--generator', BERT, '--out', path.join(dir, 'errors'), '--backend', 'wasm', ...extra]);
    expect(r.code).toBe(2);
    expect(titokLines(r.stderr)).toEqual([`titok: error: ${message}`]);
    expect(r.stdout).toBe('');
  });

  it('names a missing step of recorded noise', async () => {
    const noise = path.join(dir, 'short.safetensors');
    const zeros = (name: string, shape: number[]) => ({ name, dtype: 'F32' as const, shape, data: new Uint8Array(4 * shape.reduce((x, y) => x * y, 1)) });
    fs.writeFileSync(noise, await encodeSafetensors([zeros('step0.uniform_logits', [1, 8, 64]), zeros('step0.uniform_confidence', [1, 8])]));
    const r = await runCli(['generate', '--generator', BERT, '--class', '1', '--steps', '2', '--noise', noise, '--out', path.join(dir, 'short'), '--backend', 'wasm']);
    expect(r.code).toBe(2);
    expect(titokLines(r.stderr)).toEqual([`titok: error: ${noise} has 1 step(s) but sampling needs step 1: record at least as many steps as --steps`]);
  });
});
