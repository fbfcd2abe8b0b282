export type {
  VitSize,
  TransformerDims,
  VqganConvConfig,
  CodebookConfig,
  QuantizeMode,
  TitokConfig,
  GuidanceDecay,
  SamplingDefaults,
  GeneratorConfig,
  MaskgitVqganConfig,
  ModelConfig,
} from './types.js';
export { VIT_SIZES, RELEASED_VQGAN } from './vit-sizes.js';
export { resolveInterpolations } from './interpolate.js';
export { parseModelConfig } from './parse.js';
export type { ParsedConfig } from './parse.js';
export {
  TOKENIZER_PRESETS,
  GENERATOR_PRESETS,
  MASKGIT_VQGAN_PRESET,
  PRESETS,
  findPreset,
  getPreset,
} from './presets.js';
export type { Preset, PresetName, TokenizerPresetName, GeneratorPresetName } from './presets.js';
export { tokenizerFlops, generatorFlops, generatorCallFlops, transformerBlockFlops, vqganDecoderFlops } from './flops.js';
export type { TokenizerStage } from './flops.js';
export { stepRatio, stepTemperature, annealingDivisor, powerCosineScale, guidanceScaleAt, maskLength } from './sampling-schedule.js';
