/**
 * The released tokenizers, checked against their manifests (every key of the official
 * checkpoint with its shape) without downloading anything:
 *
 * - all nine TiTok tokenizers and the 2D MaskGIT-VQGAN: the model built from the preset config
 *   has exactly the manifest's keys, in the checkpoint's order, with its shapes and parameter
 *   count; a synthetic checkpoint with the manifest's keys passes the strict check; dropping
 *   one key fails naming it, before any data is read; encoder-only and decoder-only builds
 *   accept the full checkpoint and need exactly their half.
 * - the smallest ones (TiTok-S-128, 84 M parameters, and MaskGIT-VQGAN, 55 M) also load a
 *   synthetic zero checkpoint end to end.
 *
 * Cost: models are built with zero-initialised weights (`withParamInit({ zeros: true })`), which
 * on the CPU backend are untouched zero pages, so even TiTok-L-32 (641 M parameters, 2.6 GB in
 * float32) costs no resident memory and no random draws. Loading data makes the weights
 * resident, which is why the end-to-end loads are limited to the two smallest models: loading
 * L-32 would hold 2.6 GB for nothing the key/shape check does not already prove.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WeightsError, assertStateDictMatches, getPreset, loadStateDict, withParamInit } from '@titok/core';
import type { MaskgitVqganConfig, StateDict, StateDictTensor, TitokConfig, TitokLayer } from '@titok/core';
import { MaskgitVqganModel, TitokModel } from '@titok/tokenizer';
import type { TitokPart } from '@titok/tokenizer';
import { fixturePath, readJson } from '../helpers/fixtures.js';

interface ManifestKey {
  name: string;
  shape: number[];
  dtype: string;
}
interface Manifest {
  name: string;
  keys: ManifestKey[];
  total_parameters: number;
}

const TOKENIZERS = fs
  .readdirSync(fixturePath('manifests'))
  .filter((f) => f.startsWith('titok_'))
  .map((f) => f.replace(/\.json$/, ''));
const ALL = [...TOKENIZERS, 'maskgit_vqgan_f16_256'];
const LOADED_END_TO_END = ['titok_s128', 'maskgit_vqgan_f16_256'];

function build(name: string, parts: TitokPart = 'all'): TitokLayer {
  const config = getPreset(name).config;
  return withParamInit({ zeros: true }, () =>
    name.startsWith('titok_')
      ? new TitokModel({ config: config as TitokConfig, parts })
      : new MaskgitVqganModel({ config: config as MaskgitVqganConfig, parts }),
  );
}

/** A state dict with the manifest's keys and shapes whose data are zeros; counts the reads. */
function syntheticCheckpoint(keys: ManifestKey[], name: string): StateDict & { reads: number } {
  const sd = {
    format: 'safetensors' as const,
    source: `${name}.safetensors`,
    metadata: {},
    reads: 0,
    tensors: new Map<string, StateDictTensor>(),
    close: async () => {},
  };
  for (const k of keys) {
    const byteLength = k.shape.reduce((a, b) => a * b, 1) * 4;
    sd.tensors.set(k.name, {
      name: k.name,
      dtype: 'F32',
      shape: k.shape,
      byteLength,
      read: async () => {
        sd.reads++;
        return new Uint8Array(byteLength);
      },
    });
  }
  return sd;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(ALL)('%s', (name) => {
  const manifest = readJson<Manifest>('manifests', `${name}.json`);
  let model: TitokLayer;
  beforeAll(() => {
    model = build(name);
  });
  afterAll(() => model.disposeAll());

  it('has exactly the checkpoint keys, in order, with their shapes and parameter count', () => {
    const entries = model.weightEntries();
    expect(entries.map((e) => [e.key, e.checkpointShape])).toEqual(manifest.keys.map((k) => [k.name, k.shape]));
    expect(model.numParameters()).toBe(manifest.total_parameters);
    expect(getPreset(name).parameters).toBe(manifest.total_parameters);
  });

  it('accepts the synthetic checkpoint strictly and names a dropped key before reading anything', async () => {
    {
      const full = syntheticCheckpoint(manifest.keys, name);
      expect(() => assertStateDictMatches(model, full.tensors)).not.toThrow();
      for (const drop of [manifest.keys[0]!.name, manifest.keys[Math.floor(manifest.keys.length / 2)]!.name, manifest.keys.at(-1)!.name]) {
        const partial = syntheticCheckpoint(manifest.keys.filter((k) => k.name !== drop), name);
        const err = await loadStateDict(model, partial).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WeightsError);
        expect((err as WeightsError).missing).toEqual([drop]);
        expect((err as WeightsError).message).toContain(drop);
        expect(partial.reads).toBe(0);
      }
      const mis = manifest.keys.map((k, i) => (i === 1 ? { ...k, shape: [...k.shape, 1] } : k));
      const err = await loadStateDict(model, syntheticCheckpoint(mis, name)).catch((e: unknown) => e);
      expect((err as WeightsError).mismatched.map((m) => m.key)).toEqual([manifest.keys[1]!.name]);
    }
  });

  if (LOADED_END_TO_END.includes(name)) {
    it('loads a synthetic zero checkpoint end to end', async () => {
      const sd = syntheticCheckpoint(manifest.keys, name);
      await loadStateDict(model, sd);
      expect(sd.reads).toBe(manifest.keys.length);
      // the LayerNorm / GroupNorm scales were ones before loading
      const norm = model.weightEntries().find((e) => /norm.*\.weight$|ln_.*\.weight$/.test(e.key))!;
      expect(tf.tidy(() => tf.max(tf.abs(norm.variable.read())).dataSync()[0])).toBe(0);
    });
  }
});

describe.each(ALL)('%s halves', (name) => {
  const manifest = readJson<Manifest>('manifests', `${name}.json`);

  it.each(['encoder', 'decoder'] as const)('a %s-only build needs its half and ignores the other', (parts) => {
    const half = build(name, parts);
    try {
      const own = new Set(half.weightEntries().map((e) => e.key));
      expect(own.size).toBeGreaterThan(0);
      expect(own.size).toBeLessThan(manifest.keys.length);
      const full = syntheticCheckpoint(manifest.keys, name);
      const other = (half as TitokModel | MaskgitVqganModel).isOtherPartKey.bind(half);
      expect(() => assertStateDictMatches(half, full.tensors, { ignore: other })).not.toThrow();
      // every key is either built or ignored, never both
      for (const k of manifest.keys) expect([k.name, own.has(k.name) !== other(k.name)]).toEqual([k.name, true]);
      const ownOnly = syntheticCheckpoint(manifest.keys.filter((k) => own.has(k.name)), name);
      expect(() => assertStateDictMatches(half, ownOnly.tensors, { ignore: other })).not.toThrow();
      const [firstOwn] = [...own];
      const missingOne = syntheticCheckpoint(manifest.keys.filter((k) => k.name !== firstOwn), name);
      expect(() => assertStateDictMatches(half, missingOne.tensors, { ignore: other })).toThrow(firstOwn!);
    } finally {
      half.disposeAll();
    }
  });
});
