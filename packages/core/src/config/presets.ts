import { ConfigError } from '../errors/index.js';
import type { GeneratorConfig, MaskgitVqganConfig, SamplingDefaults, TitokConfig, VitSize } from './types.js';
import { RELEASED_VQGAN, VIT_SIZES } from './vit-sizes.js';

/** Names of the released models. */
export type TokenizerPresetName =
  | 'titok_l32'
  | 'titok_b64'
  | 'titok_s128'
  | 'titok_bl64_vq8k'
  | 'titok_bl128_vq8k'
  | 'titok_sl256_vq8k'
  | 'titok_ll32_vae_c16'
  | 'titok_bl64_vae_c16'
  | 'titok_bl128_vae_c16';
export type GeneratorPresetName = 'generator_titok_l32' | 'generator_titok_b64' | 'generator_titok_s128';
export type PresetName = TokenizerPresetName | GeneratorPresetName | 'maskgit_vqgan_f16_256';

/** A released model: where it lives and how it is built. */
export interface Preset<C = TitokConfig | GeneratorConfig | MaskgitVqganConfig> {
  name: PresetName;
  /** Short name for the CLI and `fromPretrained` (e.g. `titok-l32`, `titok-l32-generator`). */
  shortName: string;
  kind: C extends GeneratorConfig ? 'generator' : C extends TitokConfig ? 'tokenizer' : 'maskgit-vqgan' | 'tokenizer' | 'generator';
  /** Hugging Face hub repository (`config.json` + `model.safetensors`), when published there. */
  hubRepo?: string;
  /** The single-file `torch.save` checkpoint's name. */
  checkpointFile: string;
  /** Number of parameters. */
  parameters: number;
  /** Bytes of the weights in float32. */
  float32Bytes: number;
  /** For generators: the tokenizer preset it pairs with. */
  tokenizer?: TokenizerPresetName;
  /**
   * Size and SHA-256 of files of `hubRepo` at revision `main` (`model.safetensors`, ...), where
   * known: a download is checked against them as well as against the hub's own headers.
   */
  files?: Readonly<Record<string, { size?: number; sha256?: string }>>;
  config: C;
}

function titok(
  enc: VitSize,
  dec: VitSize,
  tokens: number,
  q: { mode: 'vq'; codebook: number; tokenSize: number; l2: boolean } | { mode: 'vae'; tokenSize: number },
  legacy: boolean,
): TitokConfig {
  const config: TitokConfig = {
    type: 'titok',
    imageSize: 256,
    patchSize: 16,
    decoderPatchSize: 16,
    numLatentTokens: tokens,
    tokenSize: q.tokenSize,
    quantizeMode: q.mode,
    codebookSize: q.mode === 'vq' ? q.codebook : 0,
    useL2Norm: q.mode === 'vq' ? q.l2 : false,
    isLegacy: legacy,
    encoder: { ...VIT_SIZES[enc] },
    decoder: { ...VIT_SIZES[dec] },
  };
  if (legacy) {
    config.pixelDecoder = { ...RELEASED_VQGAN.conv, channelMult: [...RELEASED_VQGAN.conv.channelMult] };
    config.pixelQuantizer = { ...RELEASED_VQGAN.codebook };
  }
  return config;
}

function generator(
  modelType: 'ViT' | 'UViT',
  dims: [hidden: number, layers: number, heads: number, mlp: number],
  tokens: number,
  sampling: Omit<SamplingDefaults, 'guidanceScalePow' | 'softmaxTemperatureAnnealing'>,
): GeneratorConfig {
  return {
    type: 'generator',
    modelType,
    hiddenSize: dims[0],
    numHiddenLayers: dims[1],
    numAttentionHeads: dims[2],
    intermediateSize: dims[3],
    imageSeqLen: tokens,
    codebookSize: 4096,
    numClasses: 1000,
    sampling: { ...sampling, guidanceScalePow: 3, softmaxTemperatureAnnealing: false },
  };
}

const vq4k = { mode: 'vq', codebook: 4096, tokenSize: 12, l2: true } as const;
const vq8k = { mode: 'vq', codebook: 8192, tokenSize: 64, l2: false } as const;
const vae16 = { mode: 'vae', tokenSize: 16 } as const;
const hub = (name: string) => `yucornetto/${name}_imagenet`;

const TOKENIZERS: Preset<TitokConfig>[] = [
  { name: 'titok_l32', shortName: 'titok-l32', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_l32'), checkpointFile: 'tokenizer_titok_l32.bin', parameters: 641_054_735, float32Bytes: 2_564_218_940, config: titok('large', 'large', 32, vq4k, true) },
  { name: 'titok_b64', shortName: 'titok-b64', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_b64'), checkpointFile: 'tokenizer_titok_b64.bin', parameters: 204_814_095, float32Bytes: 819_256_380, config: titok('base', 'base', 64, vq4k, true) },
  { name: 'titok_s128', shortName: 'titok-s128', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_s128'), checkpointFile: 'tokenizer_titok_s128.bin', parameters: 83_674_639, float32Bytes: 334_698_556, config: titok('small', 'small', 128, vq4k, true) },
  { name: 'titok_bl64_vq8k', shortName: 'titok-bl64-vq8k', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_bl64_vq8k'), checkpointFile: 'tokenizer_titok_bl64_vq8k.bin', parameters: 390_016_148, float32Bytes: 1_560_064_592, config: titok('base', 'large', 64, vq8k, false) },
  { name: 'titok_bl128_vq8k', shortName: 'titok-bl128-vq8k', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_bl128_vq8k'), checkpointFile: 'tokenizer_titok_bl128_vq8k.bin', parameters: 390_179_988, float32Bytes: 1_560_719_952, config: titok('base', 'large', 128, vq8k, false) },
  { name: 'titok_sl256_vq8k', shortName: 'titok-sl256-vq8k', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_sl256_vq8k'), checkpointFile: 'tokenizer_titok_sl256_vq8k.bin', parameters: 330_260_884, float32Bytes: 1_321_043_536, config: titok('small', 'large', 256, vq8k, false) },
  { name: 'titok_ll32_vae_c16', shortName: 'titok-ll32-vae', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_ll32_vae_c16'), checkpointFile: 'titok_ll32_vae_c16.bin', parameters: 606_879_604, float32Bytes: 2_427_518_416, config: titok('large', 'large', 32, vae16, false) },
  { name: 'titok_bl64_vae_c16', shortName: 'titok-bl64-vae', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_bl64_vae_c16'), checkpointFile: 'titok_bl64_vae_c16.bin', parameters: 389_418_100, float32Bytes: 1_557_672_400, config: titok('base', 'large', 64, vae16, false) },
  { name: 'titok_bl128_vae_c16', shortName: 'titok-bl128-vae', kind: 'tokenizer', hubRepo: hub('tokenizer_titok_bl128_vae_c16'), checkpointFile: 'titok_bl128_vae_c16.bin', parameters: 389_581_940, float32Bytes: 1_558_327_760, config: titok('base', 'large', 128, vae16, false) },
];

const GENERATORS: Preset<GeneratorConfig>[] = [
  { name: 'generator_titok_l32', shortName: 'titok-l32-generator', kind: 'generator', hubRepo: hub('generator_titok_l32'), checkpointFile: 'generator_titok_l32.bin', parameters: 177_202_432, float32Bytes: 708_809_728, tokenizer: 'titok_l32', config: generator('ViT', [768, 24, 16, 3072], 32, { numSteps: 8, guidanceScale: 4.5, guidanceDecay: 'linear', randomizeTemperature: 9.5 }) },
  { name: 'generator_titok_b64', shortName: 'titok-b64-generator', kind: 'generator', hubRepo: hub('generator_titok_b64'), checkpointFile: 'generator_titok_b64.bin', parameters: 177_227_008, float32Bytes: 708_908_032, tokenizer: 'titok_b64', config: generator('ViT', [768, 24, 16, 3072], 64, { numSteps: 8, guidanceScale: 3.0, guidanceDecay: 'linear', randomizeTemperature: 11.0 }) },
  { name: 'generator_titok_s128', shortName: 'titok-s128-generator', kind: 'generator', hubRepo: hub('generator_titok_s128'), checkpointFile: 'generator_titok_s128.bin', parameters: 294_990_848, float32Bytes: 1_179_963_392, tokenizer: 'titok_s128', config: generator('UViT', [1024, 20, 16, 4096], 128, { numSteps: 64, guidanceScale: 6.9, guidanceDecay: 'power-cosine', randomizeTemperature: 2.8 }) },
];

const MASKGIT: Preset<MaskgitVqganConfig> = {
  name: 'maskgit_vqgan_f16_256',
  shortName: 'maskgit-vqgan',
  kind: 'maskgit-vqgan',
  checkpointFile: 'maskgit-vqgan-imagenet-f16-256.bin',
  parameters: 54_515_587,
  float32Bytes: 218_062_348,
  config: {
    type: 'maskgit-vqgan',
    conv: { ...RELEASED_VQGAN.conv, channelMult: [...RELEASED_VQGAN.conv.channelMult] },
    codebook: { ...RELEASED_VQGAN.codebook },
  },
};

/** The nine released TiTok tokenizers. */
export const TOKENIZER_PRESETS: readonly Preset<TitokConfig>[] = TOKENIZERS;
/** The three released generators. */
export const GENERATOR_PRESETS: readonly Preset<GeneratorConfig>[] = GENERATORS;
/** The 2D MaskGIT-VQGAN tokenizer (the legacy models' pixel decoder and the paper's baseline). */
export const MASKGIT_VQGAN_PRESET: Readonly<Preset<MaskgitVqganConfig>> = MASKGIT;
/** Every released model: the twelve TiTok models and the MaskGIT-VQGAN baseline. */
export const PRESETS: readonly Preset[] = [...TOKENIZERS, ...GENERATORS, MASKGIT];

/** Finds a preset by name (`titok_l32`), short name (`titok-l32`) or hub repo; undefined if none. */
export function findPreset(name: string): Preset | undefined {
  const key = name.trim().toLowerCase();
  return PRESETS.find(
    (p) => p.name === key || p.shortName === key || p.hubRepo?.toLowerCase() === key,
  );
}

/** Like {@link findPreset} but throws a ConfigError listing the known names. */
export function getPreset(name: string): Preset {
  const preset = findPreset(name);
  if (!preset) {
    throw new ConfigError(
      `unknown preset '${name}'; known: ${PRESETS.map((p) => p.shortName).join(', ')}`,
    );
  }
  return preset;
}
