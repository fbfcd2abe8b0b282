/**
 * End to end: the built `titok inspect` and `titok convert` on the fixtures, as a user runs them.
 * Build first: `npx turbo run build --filter=@titok/cli...`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensors } from '@titok/io';
import { FIXTURES } from '../helpers/fixtures.js';
import { requireBuiltCli, titok } from './helpers/run-titok.js';
import { torchZip } from './helpers/checkpoint-builder.js';
import type { StorageSpec, TensorSpec } from './helpers/checkpoint-builder.js';

const LEGACY = 'test/fixtures/titok_tiny_vq_legacy';
const summary = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'summary.json'), 'utf8')).results;
let tmp: string;

beforeAll(() => {
  requireBuiltCli();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-cli-io-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** sha256 of each tensor's bytes, straight from a safetensors file (parsed here, not by the library). */
function safetensorsHashes(file: string): Record<string, string> {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<{ data_offsets: [number, number] }>(header)) {
    if (k === '__metadata__') continue;
    out[k] = createHash('sha256').update(buf.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1])).digest('hex');
  }
  return out;
}

async function wrappedCheckpoint(wrap: string): Promise<string> {
  const sd = await readSafetensors(fs.readFileSync(path.join(FIXTURES, 'titok_tiny_vq_pixel/model.safetensors')));
  const storages: StorageSpec[] = [];
  const tensors: TensorSpec[] = [];
  for (const t of sd.tensors.values()) {
    storages.push({ key: String(storages.length), dtype: t.dtype, data: await t.read() });
    tensors.push({ name: t.name, storage: String(tensors.length), shape: [...t.shape] });
  }
  const file = path.join(tmp, `wrapped-${wrap}.pt`);
  fs.writeFileSync(file, await torchZip(storages, tensors, { wrap }));
  return file;
}

describe('titok inspect', () => {
  it('prints format, counts, dtypes, preset and key groups', async () => {
    const r = await titok(['inspect', `${LEGACY}/pytorch_model.bin`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^format: +PyTorch zip checkpoint/m);
    expect(r.stdout).toMatch(/^tensors: +127$/m);
    expect(r.stdout).toMatch(new RegExp(`^parameters: +${summary.titok_tiny_vq_legacy.params.toLocaleString('en-US')}$`, 'm'));
    expect(r.stdout).toMatch(/^dtypes: +F32 \(127 tensors/m);
    expect(r.stdout).toMatch(/^preset: +none of the released models/m);
    for (const g of ['encoder', 'decoder', 'quantize', 'pixel_decoder', 'pixel_quantize', 'latent_tokens']) expect(r.stdout).toMatch(new RegExp(`^  ${g} +\\d+ tensors`, 'm'));
  });

  it.each(['pytorch_model.bin', 'pytorch_model_legacy.bin', 'model.safetensors'])('--json of %s hashes every tensor like the safetensors bytes', async (file) => {
    const r = await titok(['inspect', `${LEGACY}/${file}`, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['format', 'preset', 'tensors']);
    expect(out.format).toBe({ 'pytorch_model.bin': 'torch-zip', 'pytorch_model_legacy.bin': 'torch-legacy', 'model.safetensors': 'safetensors' }[file]);
    expect(out.preset).toBeNull();
    const want = safetensorsHashes(path.join(FIXTURES, 'titok_tiny_vq_legacy/model.safetensors'));
    expect(out.tensors).toHaveLength(Object.keys(want).length);
    for (const t of out.tensors) {
      expect(Object.keys(t)).toEqual(['name', 'dtype', 'shape', 'sha256']);
      expect(t.sha256).toBe(want[t.name]);
      expect(t.dtype).toBe('F32');
    }
  });

  it('hashes fp16 tensors in their stored dtype', async () => {
    const r = await titok(['inspect', 'test/fixtures/titok_tiny_vq_pixel/model.fp16.safetensors', '--json']);
    const want = safetensorsHashes(path.join(FIXTURES, 'titok_tiny_vq_pixel/model.fp16.safetensors'));
    const out = JSON.parse(r.stdout);
    expect(out.tensors.every((t: { name: string; sha256: string; dtype: string }) => t.sha256 === want[t.name] && t.dtype === 'F16')).toBe(true);
  });

  it('says when a wrapped state dict was unwrapped', async () => {
    const r = await titok(['inspect', await wrappedCheckpoint('state_dict')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^unwrapped: .*'state_dict'/m);
  });
});

describe('titok convert', () => {
  it('writes model.json, shards and config.json (the README demo)', async () => {
    const out = path.join(tmp, 'demo');
    const r = await titok(['convert', `${LEGACY}/pytorch_model.bin`, '--config', `${LEGACY}/config.json`, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*demo: 127 tensors, 360,143 parameters, 1 shard, 1\.4 MB \(float32\)/);
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'group1-shard1of1.bin', 'model.json']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'))).toEqual(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'titok_tiny_vq_legacy/config.json'), 'utf8')));
    const model = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(model).toMatchObject({ format: 'titok-weights', generatedBy: expect.stringMatching(/^@titok\/io /), config: { model: { vq_model: { codebook_size: 64 } } } });
    expect(model.weightsManifest[0].weights).toHaveLength(127);
    // and it converts again, from the converted folder, with no extra argument
    const again = await titok(['inspect', out]);
    expect(again.stdout).toMatch(/^format: +TensorFlow\.js weights/m);
  });

  it('refuses a folder that is not empty without --force, leaving it untouched; --force replaces it', async () => {
    const out = path.join(tmp, 'busy');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'mine.txt'), 'keep me');
    const args = ['convert', `${LEGACY}/pytorch_model_legacy.bin`, '--config', `${LEGACY}/config.json`, '--out', out];
    const r = await titok(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^titok: error: .*busy: the folder is not empty; pass --force/)]);
    expect(fs.readdirSync(out)).toEqual(['mine.txt']);
    const forced = await titok([...args, '--force', '--dtype', 'float16']);
    expect(forced.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'group1-shard1of1.bin', 'model.json']);
    const w = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).weightsManifest[0].weights[0];
    expect(w.quantization).toEqual({ dtype: 'float16', original_dtype: 'float32' });
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.busy'))).toEqual([]);
  });

  it('never leaves a half-written model: a tensor that fails late leaves no folder and no temporary files', async () => {
    const bin = fs.readFileSync(path.join(FIXTURES, 'titok_tiny_vq_pixel/pytorch_model.bin'));
    const damaged = Buffer.from(bin);
    // storage 74 holds the last tensor: damage its data (after the local header's name and padding)
    damaged[damaged.indexOf(Buffer.from('pytorch_model/data/74')) + 200]! ^= 0xff;
    const file = path.join(tmp, 'late-failure.bin');
    fs.writeFileSync(file, damaged);
    const out = path.join(tmp, 'never');
    const r = await titok(['convert', file, '--config', 'test/fixtures/titok_tiny_vq_pixel/config.json', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^titok: error: .*late-failure\.bin: zip: entry 'pytorch_model\/data\/\d+': CRC mismatch/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.never'))).toEqual([]);
  });

  it('refuses to replace the folder that holds its input', async () => {
    const dir = path.join(tmp, 'src-model');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(FIXTURES, 'titok_tiny_vae/model.safetensors'), path.join(dir, 'model.safetensors'));
    fs.copyFileSync(path.join(FIXTURES, 'titok_tiny_vae/config.json'), path.join(dir, 'config.json'));
    const r = await titok(['convert', dir, '--out', dir, '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds the input/);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('asks for --config when the weights are no released model, and says when it unwrapped', async () => {
    const r = await titok(['convert', `${LEGACY}/pytorch_model.bin`, '--out', path.join(tmp, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/pytorch_model\.bin: cannot tell which model these weights are for.*--config/);

    const wrapped = await wrappedCheckpoint('model');
    const ok = await titok(['convert', wrapped, '--config', 'test/fixtures/titok_tiny_vq_pixel/config.json', '--out', path.join(tmp, 'unwrapped')]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/the state dict was wrapped; using the one under 'model'/);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'unwrapped/model.json'), 'utf8')).source).toEqual({ file: 'wrapped-model.pt', format: 'torch-zip', unwrapped: 'model' });
  });

  it.each([
    [['convert', `${LEGACY}/pytorch_model.bin`], /needs --out/],
    [['convert', `${LEGACY}/pytorch_model.bin`, '--out', '/tmp/x', '--dtype', 'int8'], /--dtype must be float32 or float16/],
    [['convert', 'no/such/file.bin', '--out', '/tmp/x'], /no\/such\/file\.bin: no such file or folder/],
    [['inspect'], /exactly one/],
  ])('usage errors: %j', async (args, why) => {
    const r = await titok(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(why);
  });
});
