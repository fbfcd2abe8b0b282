/**
 * Acceptance: for every released model (test/fixtures/manifests), a synthetic checkpoint with
 * its keys and shapes is detected as that preset. The checkpoints are real safetensors files
 * whose data section is a sparse hole (zeros, no disk space), so even the 2.5 GB ones are
 * instant; only the headers are read.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dtypeSize, findPreset } from '@titok/core';
import type { DType } from '@titok/core';
import { openModelSource, readCheckpoint, detectPreset } from '@titok/io';
import { fileSource } from '@titok/io/node';
import { FIXTURES } from '../helpers/fixtures.js';
import { requireBuiltCli, titok } from './helpers/run-titok.js';

interface Manifest {
  name: string;
  total_parameters: number;
  keys: { name: string; shape: number[]; dtype: DType }[];
  possible_extra_keys?: { name: string; shape: number[]; dtype: DType }[];
}
const MANIFESTS = fs.readdirSync(path.join(FIXTURES, 'manifests')).sort();
const manifest = (f: string): Manifest => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifests', f), 'utf8'));

/** Writes a safetensors header for `keys`, then extends the file to its full size as a hole. */
function sparseSafetensors(file: string, keys: Manifest['keys']): number {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const k of keys) {
    const n = k.shape.reduce((a, b) => a * b, 1) * dtypeSize(k.dtype);
    header[k.name] = { dtype: k.dtype, shape: k.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, len);
  fs.writeSync(fd, json);
  fs.ftruncateSync(fd, 8 + json.length + offset);
  fs.closeSync(fd);
  return 8 + json.length + offset;
}

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-presets-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('preset detection on synthetic checkpoints of every released model', () => {
  it('has 13 manifests', () => expect(MANIFESTS).toHaveLength(13));

  it.each(MANIFESTS)('%s', async (f) => {
    const m = manifest(f);
    const file = path.join(tmp, f.replace('.json', '.safetensors'));
    const keys = [...m.keys, ...(m.possible_extra_keys ?? [])];
    sparseSafetensors(file, keys);
    const sd = await readCheckpoint(await fileSource(file));
    expect(sd.tensors.size).toBe(keys.length);
    expect(detectPreset(sd)?.name).toBe(m.name);
    await sd.close();
    // with no config, openModelSource takes the preset's config
    const opened = await openModelSource(file);
    expect(opened.preset?.name).toBe(m.name);
    expect(opened.configFile).toBe(`preset:${m.name}`);
    const preset = findPreset(m.name)!;
    expect(opened.config?.tokenizer ?? opened.config?.generator ?? opened.config?.maskgitVqgan).toBeDefined();
    if (preset.config.type === 'titok') expect(opened.config?.tokenizer).toEqual(preset.config);
    if (preset.config.type === 'generator') expect(opened.config?.generator).toEqual(preset.config);
    await opened.close();
  });

  it('titok inspect names the preset of a 2.5 GB checkpoint after reading only its header', async () => {
    requireBuiltCli();
    const file = path.join(tmp, 'l32.safetensors');
    const size = sparseSafetensors(file, manifest('titok_l32.json').keys);
    expect(size).toBeGreaterThan(2.5e9);
    const r = await titok(['inspect', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^preset: +titok_l32$/m);
    expect(r.stdout).toMatch(/^parameters: +641,054,735$/m);
    expect(r.stdout).toMatch(/^tensors: +692$/m);
  });
});
