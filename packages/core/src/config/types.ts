/**
 * Typed model configurations. The reference describes models with an OmegaConf dictionary
 * (`config.json` on the hub); {@link parseModelConfig} turns that into these types, with every
 * size spelled out so that model code never looks anything up by name.
 */

/** Size names of the reference's ViT table. */
export type VitSize = 'small' | 'base' | 'large';

/** Width, depth and heads of a transformer stack. */
export interface TransformerDims {
  /** Model width D. */
  width: number;
  /** Number of residual blocks. */
  numLayers: number;
  /** Attention heads; `width` must be divisible by it. */
  numHeads: number;
  /** MLP width as a multiple of `width` (4 in every released model). */
  mlpRatio: number;
}

/** The MaskGIT-VQGAN convolutional encoder/decoder (legacy pixel decoder and the 2D baseline). */
export interface VqganConvConfig {
  /** Base channel count (128 in the released models). */
  hiddenChannels: number;
  /** Channel multipliers per level ([1, 1, 2, 2, 4] in the released models). */
  channelMult: number[];
  /** Residual blocks per level (2 in the released models). */
  numResBlocks: number;
  /** Latent channels (256 in the released models). */
  zChannels: number;
  /** Image channels (3). */
  numChannels: number;
  /** Image side in pixels. */
  resolution: number;
}

/** A codebook of `numEmbeddings` rows of `embeddingDim` values. */
export interface CodebookConfig {
  numEmbeddings: number;
  embeddingDim: number;
}

/** How latent tokens are discretised. */
export type QuantizeMode = 'vq' | 'vae';

/** A TiTok tokenizer (encoder, quantizer, decoder and, for legacy models, the pixel decoder). */
export interface TitokConfig {
  type: 'titok';
  /** Image side in pixels (256 for every released model). */
  imageSize: number;
  /** Encoder patch size (16). */
  patchSize: number;
  /** Decoder patch size (16); the decoder's grid is imageSize / decoderPatchSize. */
  decoderPatchSize: number;
  /** Number of latent tokens L (32 to 256). */
  numLatentTokens: number;
  /** Channels per token: the codebook row width (VQ) or the posterior channels (VAE). */
  tokenSize: number;
  quantizeMode: QuantizeMode;
  /** Codebook rows K (VQ only; 0 for VAE). */
  codebookSize: number;
  /** Whether the VQ quantizer l2-normalises vectors and codebook rows. */
  useL2Norm: boolean;
  /**
   * Legacy models (L-32, B-64, S-128) reshape instead of transpose before `encoder.conv_out`
   * and decode through proxy codes and the MaskGIT-VQGAN pixel decoder.
   */
  isLegacy: boolean;
  encoder: TransformerDims;
  decoder: TransformerDims;
  /** Legacy only: the pixel decoder after the proxy-code head. */
  pixelDecoder?: VqganConvConfig;
  /** Legacy only: the pixel codebook whose rows the proxy-code softmax mixes. */
  pixelQuantizer?: CodebookConfig;
}

/** Classifier-free guidance schedules of the MaskGIT sampler. */
export type GuidanceDecay = 'constant' | 'linear' | 'power-cosine';

/** Sampling settings a generator was released with. */
export interface SamplingDefaults {
  numSteps: number;
  guidanceScale: number;
  guidanceDecay: GuidanceDecay;
  /** Gumbel temperature at step 0 (decays linearly to 0). */
  randomizeTemperature: number;
  /** Exponent of the power-cosine schedule (3). */
  guidanceScalePow: number;
  /** Divide logits by 0.5 + 0.8 (1 - r), as the ImageNet evaluation does. */
  softmaxTemperatureAnnealing: boolean;
}

/** A class-conditional MaskGIT generator. */
export interface GeneratorConfig {
  type: 'generator';
  /** `ViT` is the BERT generator; `UViT` the U-ViT one. */
  modelType: 'ViT' | 'UViT';
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** Number of image tokens L (the paired tokenizer's numLatentTokens). */
  imageSeqLen: number;
  /** Image-token vocabulary K (the paired tokenizer's codebook size). */
  codebookSize: number;
  /** Number of classes (1000 for ImageNet). */
  numClasses: number;
  /**
   * The model's own class names, by label (`model.generator.class_names`); absent for the
   * ImageNet generators, whose names are ImageNet's.
   */
  classNames?: string[];
  sampling: SamplingDefaults;
}

/** The 2D MaskGIT-VQGAN tokenizer (baseline). */
export interface MaskgitVqganConfig {
  type: 'maskgit-vqgan';
  /** Encoder and decoder share these settings. */
  conv: VqganConvConfig;
  codebook: CodebookConfig;
}

/** Any model titok-js can build. */
export type ModelConfig = TitokConfig | GeneratorConfig | MaskgitVqganConfig;
