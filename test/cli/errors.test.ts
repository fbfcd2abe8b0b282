/**
 * User errors of `titok encode/decode/reconstruct`: one line on stderr naming the problem,
 * exit code 2, no stack trace (the stack only with --debug), nothing written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, fixturePath } from '../helpers/fixtures.js';
import { requireBuiltCli, runCli, tempDir, titokLines } from './run-cli.js';

const MODEL = fixturePath('titok_tiny_vq_legacy');
const IMAGE = path.join(FIXTURES, 'images', 'coffee_256.png');
const dir = tempDir('errors');

beforeAll(() => {
  requireBuiltCli();
  fs.writeFileSync(path.join(dir, 'short.json'), JSON.stringify([1, 2, 3]));
  fs.writeFileSync(path.join(dir, 'range.json'), JSON.stringify([1, 2, 3, 4, 5, 6, 7, 64]));
  fs.writeFileSync(path.join(dir, 'vae.json'), JSON.stringify({ images: [{ file: 'x', mean: [[0.5]], logvar: [[0]] }] }));
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"images": [');
  fs.writeFileSync(path.join(dir, 'not-an-image.png'), 'hello');
  fs.mkdirSync(path.join(dir, 'empty-model'));
  fs.writeFileSync(path.join(dir, 'empty-model', 'config.json'), fs.readFileSync(path.join(MODEL, 'config.json')));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const d = (f: string) => path.join(dir, f);

const CASES: Array<[string, string[], RegExp]> = [
  ['an unknown backend', ['encode', IMAGE, '--model', MODEL, '--backend', 'tpu'], /^titok: error: backend 'tpu' is not a backend \(expected one of: auto, webgpu, wasm, cpu\)$/],
  ['a missing image', ['encode', 'no-such.png', '--model', MODEL, '--backend', 'cpu'], /^titok: error: no-such\.png: no such file$/],
  ['a file that is no image', ['encode', d('not-an-image.png'), '--model', MODEL, '--backend', 'cpu'], /^titok: error: \S+not-an-image\.png: not an image file sharp can read/],
  ['a model folder without weights', ['encode', IMAGE, '--model', d('empty-model'), '--backend', 'cpu'], /^titok: error: .*empty-model.*no weights/],
  ['too few tokens', ['decode', d('short.json'), '--model', MODEL, '--out', d('a.png'), '--backend', 'cpu'], /^titok: error: this model takes 8 tokens per image, got 3$/],
  ['an id outside the codebook', ['decode', d('range.json'), '--model', MODEL, '--out', d('a.png'), '--backend', 'cpu'], /^titok: error: token 7 of image 0 is 64, not an id in \[0, 64\)/],
  ['VAE tokens for a VQ model', ['decode', d('vae.json'), '--model', MODEL, '--out', d('a.png'), '--backend', 'cpu'], /images\[0\] holds VAE tokens \("mean"\), but the model is a VQ tokenizer$/],
  ['a broken tokens file', ['decode', d('broken.json'), '--model', MODEL, '--out', d('a.png'), '--backend', 'cpu'], /^titok: error: \S+broken\.json: not valid JSON/],
  ['an unknown output type', ['reconstruct', IMAGE, '--model', MODEL, '--out', d('a.bmp'), '--backend', 'cpu'], /^titok: error: \S+a\.bmp: cannot tell the image type from '\.bmp' \(use \.png/],
  ['an output folder that does not exist', ['reconstruct', IMAGE, '--model', MODEL, '--out', d('nope/a.png'), '--backend', 'cpu'], /^titok: error: \S+nope\/a\.png: the folder \S+ does not exist$/],
  ['two images for reconstruct', ['reconstruct', IMAGE, IMAGE, '--model', MODEL, '--out', d('a.png')], /^titok: error: give exactly one image/],
];

describe('titok encode/decode/reconstruct errors', () => {
  it.each(CASES)('%s: one line, exit code 2', async (_name, args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const lines = titokLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(d('a.png'))).toBe(false);
  });

  it('adds the stack trace with --debug', async () => {
    const r = await runCli(['decode', d('short.json'), '--model', MODEL, '--out', d('a.png'), '--backend', 'cpu', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/InputError: this model takes 8 tokens per image, got 3\n\s+at /);
  });

  it('an invalid TITOK_BACKEND is named as such', async () => {
    const r = await runCli(['encode', IMAGE, '--model', MODEL], { env: { TITOK_BACKEND: 'gpu' } });
    expect(r.code).toBe(2);
    expect(titokLines(r.stderr)).toEqual(["titok: error: TITOK_BACKEND 'gpu' is not a backend (expected one of: auto, webgpu, wasm, cpu)"]);
  });
});
