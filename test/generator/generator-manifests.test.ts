/**
 * The three released generators, built from their presets and from the manifests' own configs,
 * have exactly the keys and shapes of the released checkpoints. Weights are zeros (nothing
 * random is drawn, and on the cpu backend the memory stays virtual), one model at a time.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GENERATOR_PRESETS, WeightsError, assertStateDictMatches, parseModelConfig, selectBackend } from '@titok/core';
import { BERT_POSITION_IDS_KEY, buildGeneratorNetwork } from '@titok/generator';
import { readJson } from '../helpers/fixtures.js';

interface Manifest {
  name: string;
  reference_class: string;
  num_tensors: number;
  total_parameters: number;
  keys: { name: string; shape: number[] }[];
  possible_extra_keys?: { name: string; shape: number[] }[];
  config: Record<string, unknown>;
}

const NAMES = ['generator_titok_l32', 'generator_titok_b64', 'generator_titok_s128'] as const;

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

describe.each(NAMES)('%s', (name) => {
  const manifest = readJson<Manifest>('manifests', `${name}.json`);

  it('the config in the manifest parses to the preset', () => {
    const preset = GENERATOR_PRESETS.find((p) => p.name === name)!;
    expect(parseModelConfig(manifest.config, `${name}.json`).generator).toEqual(preset.config);
    expect(preset.parameters).toBe(manifest.total_parameters);
  });

  it('builds with exactly the keys and shapes of the checkpoint, and loads it strictly', () => {
    const before = tf.memory().numTensors;
    const preset = GENERATOR_PRESETS.find((p) => p.name === name)!;
    const net = buildGeneratorNetwork(preset.config, { zeros: true });
    try {
      expect(net.constructor.name).toBe(manifest.reference_class.endsWith('UViTBert') ? 'UVitGenerator' : 'BertGenerator');
      const built = net.weightEntries().map((e) => [e.key, e.checkpointShape]);
      expect(new Map(built as [string, number[]][])).toEqual(new Map(manifest.keys.map((k) => [k.name, k.shape])));
      expect(built.length).toBe(manifest.num_tensors);
      expect(net.numParameters()).toBe(manifest.total_parameters);

      const keys = new Map(manifest.keys.map((k) => [k.name, { shape: k.shape }]));
      const ignore = (k: string) => net.ignoreKey(k);
      expect(() => assertStateDictMatches(net, keys, { ignore })).not.toThrow();
      for (const extra of manifest.possible_extra_keys ?? []) {
        expect(extra.name).toBe(BERT_POSITION_IDS_KEY);
        const withExtra = new Map([...keys, [extra.name, { shape: extra.shape }]]);
        expect(() => assertStateDictMatches(net, withExtra, { ignore })).not.toThrow();
      }
      const dropped = manifest.keys[manifest.keys.length - 3]!.name;
      const missing = new Map([...keys].filter(([k]) => k !== dropped));
      expect(() => assertStateDictMatches(net, missing, { ignore })).toThrow(WeightsError);
      expect(() => assertStateDictMatches(net, missing, { ignore })).toThrow(`missing keys: ${dropped}`);
      const stray = new Map([...keys, ['model.pooler.dense.weight', { shape: [1] }]]);
      expect(() => assertStateDictMatches(net, stray, { ignore })).toThrow(/unexpected keys: model\.pooler\.dense\.weight/);
    } finally {
      net.disposeAll();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
