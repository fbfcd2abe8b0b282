import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors/index.js';
import { parseModelConfig } from './parse.js';
import { GENERATOR_PRESETS, TOKENIZER_PRESETS, findPreset, getPreset } from './presets.js';
import { resolveInterpolations } from './interpolate.js';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');
const json = (p: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, p), 'utf8'));

describe('parseModelConfig', () => {
  it('reads the explicit sizes of the tiny legacy tokenizer and its pixel decoder', () => {
    const { tokenizer, generator } = parseModelConfig(json('titok_tiny_vq_legacy/config.json'));
    expect(tokenizer).toMatchObject({
      imageSize: 64,
      patchSize: 16,
      numLatentTokens: 8,
      tokenSize: 12,
      quantizeMode: 'vq',
      codebookSize: 64,
      useL2Norm: true,
      isLegacy: true,
      encoder: { width: 32, numLayers: 2, numHeads: 4, mlpRatio: 4 },
      decoder: { width: 32, numLayers: 2, numHeads: 4 },
      pixelDecoder: { hiddenChannels: 32, channelMult: [2, 1, 1, 1, 1], numResBlocks: 1, zChannels: 16 },
      pixelQuantizer: { numEmbeddings: 1024, embeddingDim: 16 },
    });
    // image_seq_len is the unresolved "${model.vq_model.num_latent_tokens}"
    expect(generator?.imageSeqLen).toBe(8);
    expect(generator?.codebookSize).toBe(64);
  });

  it('reads VAE and direct-RGB configs', () => {
    const vae = parseModelConfig(json('titok_tiny_vae/config.json')).tokenizer!;
    expect(vae).toMatchObject({ quantizeMode: 'vae', tokenSize: 16, isLegacy: false, codebookSize: 0 });
    expect(vae.decoder.numHeads).toBe(2);
    expect(vae.pixelDecoder).toBeUndefined();
    const pix = parseModelConfig(json('titok_tiny_vq_pixel/config.json')).tokenizer!;
    expect(pix).toMatchObject({ imageSize: 32, patchSize: 8, codebookSize: 128, useL2Norm: false, isLegacy: false });
    expect(pix.decoder.width).toBe(48);
  });

  it('reads generator and MaskGIT-VQGAN configs', () => {
    const g = parseModelConfig(json('generator_tiny_uvit/config.json')).generator!;
    expect(g).toMatchObject({ modelType: 'UViT', hiddenSize: 32, numHiddenLayers: 4, numClasses: 10, imageSeqLen: 8 });
    expect(g.sampling.guidanceDecay).toBe('power-cosine');
    const m = parseModelConfig(json('maskgit_vqgan_tiny/config.json')).maskgitVqgan!;
    expect(m.codebook).toEqual({ numEmbeddings: 1024, embeddingDim: 16 });
    expect(m.conv.resolution).toBe(64);
  });

  it.each(fs.readdirSync(path.join(FIXTURES, 'manifests')).filter((f) => f !== 'maskgit_vqgan_f16_256.json'))(
    'the config of manifest %s parses to its preset',
    (file) => {
      const manifest = json(`manifests/${file}`);
      const preset = getPreset(manifest.name.replace(/^generator_/, 'generator_'));
      const parsed = parseModelConfig(manifest.config);
      const got = preset.kind === 'generator' ? parsed.generator : parsed.tokenizer;
      expect(got).toEqual(preset.config);
      expect(preset.parameters).toBe(manifest.total_parameters);
      expect(preset.hubRepo).toBe(manifest.hub_repo);
      expect(preset.checkpointFile).toBe(manifest.checkpoint_file);
    },
  );

  it('names the key that is wrong', () => {
    const bad = json('titok_tiny_vq_pixel/config.json');
    bad.model.vq_model.num_latent_tokens = 'many';
    expect(() => parseModelConfig(bad, 'config.json')).toThrow(/config.json: config.model.vq_model.num_latent_tokens: must be an integer/);
    expect(() => parseModelConfig({ foo: 1 })).toThrow(ConfigError);
    const size = json('titok_tiny_vq_pixel/config.json');
    delete size.tiny;
    size.model.vq_model.vit_enc_model_size = 'huge';
    expect(() => parseModelConfig(size)).toThrow(/vit_enc_model_size must be one of small, base, large/);
  });
});

describe('resolveInterpolations', () => {
  it('keeps types of whole interpolations, substitutes text inside strings and finds cycles', () => {
    expect(resolveInterpolations({ a: { b: 3 }, c: '${a.b}', d: 'x${a.b}y' })).toEqual({ a: { b: 3 }, c: 3, d: 'x3y' });
    expect(() => resolveInterpolations({ a: '${b}', b: '${a}' })).toThrow(/cycle/);
    expect(() => resolveInterpolations({ a: '${nope.x}' })).toThrow(/'nope' does not exist/);
  });
});

describe('presets', () => {
  it('has the nine tokenizers and three generators, found by any name', () => {
    expect(TOKENIZER_PRESETS).toHaveLength(9);
    expect(GENERATOR_PRESETS).toHaveLength(3);
    expect(findPreset('titok-l32')?.name).toBe('titok_l32');
    expect(findPreset('yucornetto/generator_titok_s128_imagenet')?.name).toBe('generator_titok_s128');
    expect(() => getPreset('nope')).toThrow(/unknown preset 'nope'/);
  });
});
