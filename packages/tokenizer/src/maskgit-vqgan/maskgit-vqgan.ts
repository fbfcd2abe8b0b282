import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, TitokError, parseModelConfig, toTracer, withParamInit } from '@titok/core';
import type { MaskgitVqganConfig, ParsedConfig, StateDict } from '@titok/core';
import type { ModelSourceInput } from '@titok/io';
import { prepareImages } from '../image/index.js';
import type { ImagesInput } from '../image/index.js';
import { inBatches } from '../titok/batches.js';
import { finishImages } from '../titok/image-output.js';
import { loadWeightsInto } from '../titok/load-weights.js';
import { useDevice, withModelSource } from '../titok/pretrained.js';
import type { TitokDecodeOptions, TitokLoadOptions, TitokPretrainedOptions, TitokRunOptions } from '../titok/titok.js';
import type { TitokPart } from '../titok/titok-model.js';
import { toTokenIds } from '../titok/token-input.js';
import type { TokenIdsInput } from '../titok/token-input.js';
import { MaskgitVqganModel } from './maskgit-vqgan-model.js';

/** A MaskGIT-VQGAN configuration: typed, parsed, or its config.json object. */
export type MaskgitVqganConfigInput = MaskgitVqganConfig | ParsedConfig | Record<string, unknown>;

function resolveConfig(input: MaskgitVqganConfigInput): MaskgitVqganConfig {
  if ((input as MaskgitVqganConfig).type === 'maskgit-vqgan') return input as MaskgitVqganConfig;
  const parsed = 'resolved' in input && 'maskgitVqgan' in input ? (input as ParsedConfig) : parseModelConfig(input);
  if (!parsed.maskgitVqgan) throw new ConfigError('the config does not describe a MaskGIT-VQGAN tokenizer');
  return parsed.maskgitVqgan;
}

/**
 * The 2D MaskGIT-VQGAN tokenizer, the baseline TiTok is compared with: a 256x256 image becomes a
 * 16x16 grid of ids from a 1024-entry codebook (N x 256 ids, row-major), and back. Same API as
 * {@link TiTok}; returned tensors are the caller's to dispose.
 */
export class MaskGitVQGAN {
  /** The network, for synchronous tensor-level use. */
  readonly model: MaskgitVqganModel;
  private disposed = false;

  private constructor(model: MaskgitVqganModel) {
    this.model = model;
  }

  /** Freshly initialised weights (for benchmarks); `seed` makes them reproducible. */
  static fromConfig(config: MaskgitVqganConfigInput, options: { seed?: number; parts?: TitokPart } = {}): MaskGitVQGAN {
    const c = resolveConfig(config);
    return new MaskGitVQGAN(withParamInit({ seed: options.seed }, () => new MaskgitVqganModel({ config: c, parts: options.parts })));
  }

  /** Loads a state dict strictly. @throws WeightsError listing missing, unexpected and mis-shaped keys */
  static async fromStateDict(config: MaskgitVqganConfigInput, stateDict: StateDict, options: TitokLoadOptions = {}): Promise<MaskGitVQGAN> {
    const c = resolveConfig(config);
    await useDevice(options.device);
    const model = withParamInit({ zeros: true }, () => new MaskgitVqganModel({ config: c, parts: options.parts }));
    await loadWeightsInto(model, stateDict, { ignore: (k) => model.isOtherPartKey(k), progress_callback: options.progress_callback });
    return new MaskGitVQGAN(model);
  }

  /** Loads from a folder, file, URL or bytes (see `TiTok.fromPretrained`). */
  static async fromPretrained(source: ModelSourceInput, options: TitokPretrainedOptions = {}): Promise<MaskGitVQGAN> {
    return withModelSource(source, options, async (src) => {
      const config = src.config?.maskgitVqgan;
      if (!config) throw new ConfigError(`${src.configFile ?? src.weightsFile}: not a MaskGIT-VQGAN config`);
      return MaskGitVQGAN.fromStateDict(config, src.stateDict, { parts: options.parts, progress_callback: options.progress_callback });
    });
  }

  get config(): MaskgitVqganConfig {
    return this.model.config;
  }

  /** Tokens per image (h·w). */
  get numTokens(): number {
    return this.model.numTokens;
  }

  /** Codebook size (1024). */
  get codebookSize(): number {
    return this.config.codebook.numEmbeddings;
  }

  /** Image side in pixels. */
  get imageSize(): number {
    return this.config.conv.resolution;
  }

  /** Images (anything `prepareImages` takes) to int32 token ids N x (h·w). */
  async encode(images: ImagesInput, options: TitokRunOptions = {}): Promise<tf.Tensor2D> {
    this.assertUsable();
    const batch = prepareImages(images, { size: this.imageSize });
    try {
      return inBatches(batch, options.batchSize, (x) => this.model.encodeIds(x as tf.Tensor4D, toTracer(options.trace)));
    } finally {
      batch.dispose();
    }
  }

  /** Token ids (N x h·w) to images N x H x W x 3, clamped to [0, 1] (or uint8 values). */
  async decode(tokens: TokenIdsInput, options: TitokDecodeOptions = {}): Promise<tf.Tensor4D> {
    this.assertUsable();
    const ids = await toTokenIds(tokens, this.numTokens, this.codebookSize);
    try {
      return inBatches(ids, options.batchSize, (x) => finishImages(this.model.decodeIds(x as tf.Tensor2D, toTracer(options.trace)), options.output));
    } finally {
      ids.dispose();
    }
  }

  /** Encode then decode. */
  async reconstruct(images: ImagesInput, options: TitokDecodeOptions = {}): Promise<tf.Tensor4D> {
    this.assertUsable();
    const batch = prepareImages(images, { size: this.imageSize });
    try {
      return inBatches(batch, options.batchSize, (x) => finishImages(this.model.reconstruct(x as tf.Tensor4D, toTracer(options.trace)), options.output));
    } finally {
      batch.dispose();
    }
  }

  /** Frees every weight. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.disposeAll();
  }

  private assertUsable(): void {
    if (this.disposed) throw new TitokError('USAGE', 'this MaskGIT-VQGAN tokenizer has been disposed');
  }
}
