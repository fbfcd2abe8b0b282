/**
 * @titok/tokenizer: TiTok 1D image tokenizers (all nine released variants) and the 2D
 * MaskGIT-VQGAN baseline on TensorFlow.js. Images in, 32-256 tokens out, and back.
 *
 * @packageDocumentation
 */
export { TiTok } from './titok/titok.js';
export type {
  TitokLoadOptions,
  TitokRunOptions,
  TitokEncodeOptions,
  TitokDecodeOptions,
  TitokReconstructOptions,
  TitokEncoding,
  TitokPretrainedOptions,
} from './titok/titok.js';
export type { PretrainedOptions } from './titok/pretrained.js';
export { MaskGitVQGAN } from './maskgit-vqgan/maskgit-vqgan.js';
export type { MaskgitVqganConfigInput } from './maskgit-vqgan/maskgit-vqgan.js';
export { MaskgitVqganModel } from './maskgit-vqgan/maskgit-vqgan-model.js';
export type { MaskgitVqganModelArgs } from './maskgit-vqgan/maskgit-vqgan-model.js';
export { TitokModel } from './titok/titok-model.js';
export { CODE_SEARCH_DEFAULTS, searchCodes } from './titok/code-search.js';
export type { CodeSearchOptions } from './titok/code-search.js';
export type { TitokPart, TitokModelArgs } from './titok/titok-model.js';
export { TitokEncoder } from './titok/titok-encoder.js';
export { TitokDecoder } from './titok/titok-decoder.js';
export { ProxyCodeHead } from './titok/proxy-code-head.js';
export { RgbPatchHead } from './titok/rgb-patch-head.js';
export { resolveTitokConfig } from './titok/titok-config.js';
export type { TitokConfigInput } from './titok/titok-config.js';
export { finishImages } from './titok/image-output.js';
export type { ImageOutput } from './titok/image-output.js';
export type { TokenIdsInput, LatentTokensInput } from './titok/token-input.js';
export type { LoadingProgressInfo, LoadProgressInfo, LoadProgressCallback, Device } from './types.js';
export { prepareImages, toUint8Images, toRawImages, resizeAndCrop, fitGeometry, resizeBicubic } from './image/index.js';
export type { PrepareImagesOptions, RawImage, DrawableImage, ImageInput, ImagesInput, Pixels } from './image/index.js';
export { VqganEncoder } from './maskgit-vqgan/vqgan-encoder.js';
export { VqganDecoder } from './maskgit-vqgan/vqgan-decoder.js';
export { VqganDownBlock } from './maskgit-vqgan/vqgan-down-block.js';
export { VqganUpBlock } from './maskgit-vqgan/vqgan-up-block.js';
export { TokenizerTrainer, CODEBOOK_UPDATES, ESTIMATORS, tokenizerLoss, nearestCodes, imageBatch, checkTrainingImages } from './training/index.js';
export type { TokenizerTrainingOptions, TokenizerLossOptions, TokenizerLossWeights, TokenizerLossOutput, NearestCodes, TrainingImages } from './training/index.js';
