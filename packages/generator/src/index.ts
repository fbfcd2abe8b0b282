/**
 * @titok/generator: class-conditional image generation with TiTok's MaskGIT generators (the
 * BERT generator of TiTok-L-32/B-64 and the U-ViT generator of TiTok-S-128) on TensorFlow.js.
 * Sampling is exact against the reference implementation and reproducible across backends:
 * the randomness is a seeded Philox4x32-10 stream computed in JavaScript, and every sampling
 * decision is made on host data.
 *
 * @packageDocumentation
 */
export { BertGenerator, BertBody, BertEmbeddings, BertEncoder, BERT_POSITION_IDS_KEY } from './networks/bert-generator.js';
export { BertLayer, BertAttention, BertSelfAttention, BertIntermediate, BertResidualOutput, BERT_LN_EPS } from './networks/bert-layer.js';
export type { BertDims } from './networks/bert-layer.js';
export { UVitGenerator } from './networks/uvit-generator.js';
export { UVitBlock, UVitAttention, UVitMlp } from './networks/uvit-block.js';
export type { UVitDims } from './networks/uvit-block.js';
export { GeneratorNetwork } from './networks/generator-network.js';
export type { Tap } from './networks/generator-network.js';
export { buildGeneratorNetwork, loadGeneratorNetwork } from './networks/build.js';
export type { LoadGeneratorNetworkOptions } from './networks/build.js';
export { maskTokenId, classTokenId, noClassTokenId, vocabSize, buildSequence } from './networks/token-space.js';

export { philox4x32 } from './sampling/philox.js';
export { PhiloxUniformSource, seededUniforms, wordToUniform } from './sampling/uniform-source.js';
export type { UniformSource, UniformDraw, UniformDrawKind } from './sampling/uniform-source.js';
export { RecordedUniformSource } from './sampling/recorded-uniforms.js';
export type { RecordedStep } from './sampling/recorded-uniforms.js';
export { gumbelF32, gumbelNoise } from './sampling/gumbel.js';
export { stepRatio, stepTemperature, annealingDivisor, powerCosineScale, guidanceScaleAt, maskLength } from '@titok/core';
export { guideLogits, maskgitStep } from './sampling/maskgit-step.js';
export type { StepInput } from './sampling/maskgit-step.js';
export { sampleMaskGit } from './sampling/maskgit-sampler.js';
export type { LogitsModel, SamplingResult, StepRecord } from './sampling/maskgit-sampler.js';
export { resolveSampling } from './sampling/options.js';
export type { GenerateOptions, GenerationProgress, ResolvedSampling } from './sampling/options.js';

export { IMAGENET_CLASSES, IMAGENET_NUM_CLASSES, imagenetClassName, findImagenetClasses, findClassName, resolveClassLabel } from './imagenet-classes.js';
export type { ClassLabelInput } from './imagenet-classes.js';
export { TitokGenerator } from './pipeline/titok-generator.js';
export type {
  GenerationOutput,
  GeneratorLoadOptions,
  GeneratorPretrainedOptions,
  GeneratorLoadProgress,
  GeneratorLoadingProgress,
} from './pipeline/titok-generator.js';
export { generateImages, assertPairable } from './pipeline/generate-images.js';
export type { GenerateImagesOptions, GeneratedImages, TokenDecoder } from './pipeline/generate-images.js';

export * from './training/index.js';
