import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRESETS, findPreset, parseModelConfig } from '@titok/core';
import type { TensorInfo } from '@titok/core';
import { detectPreset } from './detect-preset.js';
import { presetParsedConfig, toReferenceConfig } from './reference-config.js';
import { readSafetensors } from '../formats/safetensors-reader.js';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');
const MANIFESTS = fs.readdirSync(path.join(FIXTURES, 'manifests')).filter((f) => f.endsWith('.json'));

interface Manifest {
  name: string;
  keys: { name: string; shape: number[]; dtype: string }[];
  possible_extra_keys?: { name: string; shape: number[]; dtype: string }[];
  config_resolved: Record<string, unknown>;
}
const manifest = (f: string): Manifest => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifests', f), 'utf8'));
const infos = (m: Manifest): TensorInfo[] => m.keys.map((k) => ({ name: k.name, dtype: k.dtype as TensorInfo['dtype'], shape: k.shape, byteLength: 0 }));

describe('detectPreset', () => {
  it('covers every manifest with a preset', () => {
    expect(MANIFESTS.length).toBe(13);
    expect(new Set(MANIFESTS.map((f) => manifest(f).name))).toEqual(new Set(PRESETS.map((p) => p.name)));
  });

  it.each(MANIFESTS)('detects the keys and shapes of %s', (f) => {
    const m = manifest(f);
    expect(detectPreset(infos(m))?.name).toBe(m.name);
    // in another order, and with the extra buffers some checkpoints carry
    const extra = (m.possible_extra_keys ?? []).map((k) => ({ name: k.name, dtype: k.dtype as TensorInfo['dtype'], shape: k.shape, byteLength: 0 }));
    expect(detectPreset([...infos(m)].reverse().concat(extra))?.name).toBe(m.name);
  });

  it.each(MANIFESTS)('does not detect %s with one tensor missing or one shape changed', (f) => {
    const list = infos(manifest(f));
    expect(detectPreset(list.slice(1))).toBeUndefined();
    const changed = list.map((t, i) => (i === list.length - 1 ? { ...t, shape: [...t.shape.slice(0, -1), t.shape[t.shape.length - 1]! + 1] } : t));
    expect(detectPreset(changed)).toBeUndefined();
  });

  it('detects none of the tiny fixture models', async () => {
    for (const dir of ['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel', 'titok_tiny_vae', 'maskgit_vqgan_tiny', 'generator_tiny_bert', 'generator_tiny_uvit']) {
      const sd = await readSafetensors(fs.readFileSync(path.join(FIXTURES, dir, 'model.safetensors')));
      expect(detectPreset(sd)).toBeUndefined();
    }
  });
});

describe('presetParsedConfig / toReferenceConfig', () => {
  it.each(MANIFESTS)('%s: the written config parses back to the preset and agrees with the released config', (f) => {
    const m = manifest(f);
    const preset = findPreset(m.name)!;
    const parsed = presetParsedConfig(preset, findPreset);
    const again = parseModelConfig(JSON.parse(JSON.stringify(parsed.resolved)));
    const released = parseModelConfig(m.config_resolved);
    for (const part of ['tokenizer', 'generator', 'maskgitVqgan'] as const) {
      expect(again[part]).toEqual(parsed[part]);
      // a released tokenizer's config also describes its generator; compare what the preset has
      if (parsed[part]) expect(released[part]).toEqual(parsed[part]);
    }
    expect(parsed.tokenizer ?? parsed.maskgitVqgan).toBeDefined();
  });

  it('writes explicit sizes for models that are not of a standard size', async () => {
    const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'titok_tiny_vq_legacy/config.json'), 'utf8'));
    const parsed = parseModelConfig(raw);
    const written = toReferenceConfig(parsed);
    const again = parseModelConfig(written);
    expect(again.tokenizer).toEqual(parsed.tokenizer);
    expect(again.generator).toEqual(parsed.generator);
  });
});
