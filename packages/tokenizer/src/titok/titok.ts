import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DiagonalGaussian, TitokError, toTracer, withParamInit } from '@titok/core';
import type { ModelSourceInput } from '@titok/io';
import type { StateDict, TitokConfig, TraceHook } from '@titok/core';
import { inBatches, inBatchesAsync } from './batches.js';
import { resolveCodeSearch, searchCodes } from './code-search.js';
import type { CodeSearchOptions, ResolvedCodeSearch } from './code-search.js';
import { loadWeightsInto } from './load-weights.js';
import { prepareImages } from '../image/index.js';
import type { ImagesInput } from '../image/index.js';
import { finishImages } from './image-output.js';
import type { ImageOutput } from './image-output.js';
import { resolveTitokConfig } from './titok-config.js';
import type { TitokConfigInput } from './titok-config.js';
import { TitokModel } from './titok-model.js';
import type { TitokPart } from './titok-model.js';
import { toLatentTokens, toTokenIds } from './token-input.js';
import type { LatentTokensInput, TokenIdsInput } from './token-input.js';
import type { Device, LoadProgressCallback } from '../types.js';
import { useDevice, withModelSource } from './pretrained.js';
import type { PretrainedOptions } from './pretrained.js';

/** Options of {@link TiTok.fromStateDict}. */
export interface TitokLoadOptions {
  /** Build and load only one half: 'encoder' (images to tokens) or 'decoder' (tokens to images). Default 'all'. */
  parts?: TitokPart;
  /** Receives `{ status: 'loading', name, file, loaded, total, progress }` as weights are copied in. */
  progress_callback?: LoadProgressCallback;
  /** The backend to run on; default: the active one (see {@link Device}). */
  device?: Device;
}

/** Options of {@link TiTok.fromPretrained}: loading options plus where to find the model. */
export interface TitokPretrainedOptions extends TitokLoadOptions, PretrainedOptions {}

/** Options of the methods that run the model. */
export interface TitokRunOptions {
  /** Receives intermediate tensors by reference name (see `Tracer`); for debugging and tests. */
  trace?: TraceHook;
  /** Run at most this many images at a time (bounds memory; default: the whole batch). */
  batchSize?: number;
}

/** Options of {@link TiTok.encode}. */
export interface TitokEncodeOptions extends TitokRunOptions {
  /**
   * VQ: choose each token's code for the reconstruction instead of the nearest one (`true` for
   * the defaults; see {@link searchCodes}). Better reconstructions for L x (candidates - 1) x
   * sweeps decodes of every image: on the Fashion-MNIST model, 8 candidates and one sweep
   * (224 decodes) gain 0.83 dB on its first 2,000 test images. The search's runs are not traced.
   */
  search?: boolean | CodeSearchOptions;
}

/** Options of {@link TiTok.decode} and {@link TiTok.reconstruct}. */
export interface TitokDecodeOptions extends TitokRunOptions {
  /** 'float' (default): float32 in [0, 1]; 'uint8': integers 0..255 (int32 dtype), truncated as the reference does. */
  output?: ImageOutput;
}

/** Options of {@link TiTok.reconstruct}. */
export interface TitokReconstructOptions extends TitokDecodeOptions, Pick<TitokEncodeOptions, 'search'> {
  /** VAE: decode a sample drawn with this seed instead of the posterior mean. */
  seed?: number;
}

/** What {@link TiTok.encode} returns: token ids (VQ) or the posterior (VAE). */
export type TitokEncoding = tf.Tensor2D | DiagonalGaussian;

/**
 * A TiTok tokenizer (Yu et al., "An Image is Worth 32 Tokens for Reconstruction and
 * Generation"): `encode` turns N x 256 x 256 x 3 images into L tokens each, `decode` turns the
 * tokens back into images. VQ models give int32 token ids (N x L); VAE models a posterior
 * over continuous tokens (N x L x C). Every tensor a method returns is the caller's to dispose.
 *
 * @example
 * ```ts
 * const titok = await TiTok.fromPretrained('titok-l32');
 * const ids = await titok.encode(images);        // int32 [N, 32]
 * const out = await titok.decode(ids);           // float32 [N, 256, 256, 3] in [0, 1]
 * ```
 */
export class TiTok {
  /** The network, for synchronous tensor-level use (`model.encodeIds`, `model.decodeIds`, ...). */
  readonly model: TitokModel;
  private disposed = false;

  private constructor(model: TitokModel) {
    this.model = model;
  }

  /**
   * A tokenizer with freshly initialised weights (for benchmarks and training); `seed` makes
   * them reproducible.
   */
  static fromConfig(config: TitokConfigInput, options: { seed?: number; parts?: TitokPart } = {}): TiTok {
    const c = resolveTitokConfig(config);
    return new TiTok(withParamInit({ seed: options.seed }, () => new TitokModel({ config: c, parts: options.parts })));
  }

  /**
   * A tokenizer with the weights of a state dict (from `readSafetensors`, `readCheckpoint`, ...),
   * loaded strictly: every weight must be there with its shape and nothing else may be
   * (with `parts`, the other half's keys are allowed and ignored).
   *
   * @throws WeightsError listing missing, unexpected and mis-shaped keys; ConfigError for a bad config
   */
  static async fromStateDict(config: TitokConfigInput, stateDict: StateDict, options: TitokLoadOptions = {}): Promise<TiTok> {
    const c = resolveTitokConfig(config);
    await useDevice(options.device);
    const model = withParamInit({ zeros: true }, () => new TitokModel({ config: c, parts: options.parts }));
    await loadWeightsInto(model, stateDict, { ignore: (k) => model.isOtherPartKey(k), progress_callback: options.progress_callback });
    return new TiTok(model);
  }

  /**
   * Loads a tokenizer from wherever it lives: a released model's name (`titok-l32`), a hub repo
   * (`yucornetto/tokenizer_titok_l32_imagenet`), a URL, a local folder (config.json + weights)
   * or checkpoint file, or bytes — anything `openModelSource` of @titok/io opens, in any weight
   * format it reads (safetensors, PyTorch .bin zip or legacy, tfjs; float32/16, bfloat16).
   *
   * @example
   * ```ts
   * const titok = await TiTok.fromPretrained('titok-s128', { device: 'wasm', parts: 'decoder' });
   * ```
   * @throws ConfigError when the source is not a TiTok tokenizer; WeightsError, FormatError,
   *   NetworkError, BackendError as the steps fail
   */
  static async fromPretrained(source: ModelSourceInput, options: TitokPretrainedOptions = {}): Promise<TiTok> {
    return withModelSource(source, options, async (src) => {
      const config = src.config?.tokenizer;
      if (!config) {
        throw new ConfigError(`${src.configFile ?? src.weightsFile}: not a TiTok tokenizer config (model.vq_model is missing)`);
      }
      return TiTok.fromStateDict(config, src.stateDict, { parts: options.parts, progress_callback: options.progress_callback });
    });
  }

  /** The configuration the model was built from. */
  get config(): TitokConfig {
    return this.model.config;
  }

  /** Which half was loaded. */
  get parts(): TitokPart {
    return this.model.parts;
  }

  /** Tokens per image (L). */
  get numTokens(): number {
    return this.config.numLatentTokens;
  }

  /** Codebook size K (VQ), 0 for VAE models. */
  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** Image side in pixels. */
  get imageSize(): number {
    return this.config.imageSize;
  }

  /**
   * Images to tokens. `images`: anything `prepareImages` takes — tensors (HWC / NHWC, float32 in
   * [0, 1] or int32 0..255), raw RGB/RGBA buffers, browser images, or an array of these; images
   * of another size are resized (shorter side, bicubic) and centre-cropped to imageSize.
   * VQ: int32 ids, N x L. VAE: the posterior (mean/logvar N x L x C; `sample(seed)`, `mode()`;
   * dispose it).
   *
   * @throws InputError for images of the wrong rank, channel count or dtype, or empty images
   */
  async encode(images: ImagesInput, options: TitokEncodeOptions = {}): Promise<TitokEncoding> {
    this.assertUsable();
    const trace = toTracer(options.trace);
    const search = this.codeSearch(options.search);
    const batch = prepareImages(images, { size: this.imageSize });
    try {
      if (search) return await inBatchesAsync(batch, options.batchSize, (x) => searchCodes(this.model, x as tf.Tensor4D, search));
      if (this.config.quantizeMode === 'vq') {
        return inBatches(batch, options.batchSize, (x) => this.model.encodeIds(x as tf.Tensor4D, trace));
      }
      const latents = inBatches(batch, options.batchSize, (x) => this.model.encodeLatents(x as tf.Tensor4D, trace));
      try {
        return this.model.posterior(latents, trace);
      } finally {
        latents.dispose();
      }
    } finally {
      batch.dispose();
    }
  }

  /**
   * Tokens to images N x S x S x 3. VQ: ids (tensor N x L / L / N x 1 x L, arrays). VAE:
   * continuous tokens N x L x C (e.g. `posterior.sample()`). Output float in [0, 1] or uint8 values.
   *
   * @throws InputError for the wrong number of tokens, ids outside [0, K), bad shapes
   */
  async decode(tokens: TokenIdsInput | LatentTokensInput, options: TitokDecodeOptions = {}): Promise<tf.Tensor4D> {
    this.assertUsable();
    const trace = toTracer(options.trace);
    const c = this.config;
    if (c.quantizeMode === 'vq') {
      const ids = await toTokenIds(tokens as TokenIdsInput, c.numLatentTokens, c.codebookSize);
      try {
        return inBatches(ids, options.batchSize, (x) => finishImages(this.model.decodeIds(x as tf.Tensor2D, trace), options.output));
      } finally {
        ids.dispose();
      }
    }
    const z = await toLatentTokens(tokens as LatentTokensInput, c.numLatentTokens, c.tokenSize);
    try {
      return inBatches(z, options.batchSize, (x) => finishImages(this.model.decodeLatents(x as tf.Tensor3D, trace), options.output));
    } finally {
      z.dispose();
    }
  }

  /**
   * Encode then decode, as the reference's forward pass (VQ: quantised tokens, or with `search`
   * the codes chosen for the reconstruction; VAE: the posterior mean, or a sample with `seed`).
   * Same inputs and outputs as encode / decode.
   */
  async reconstruct(images: ImagesInput, options: TitokReconstructOptions = {}): Promise<tf.Tensor4D> {
    this.assertUsable();
    const trace = toTracer(options.trace);
    const search = this.codeSearch(options.search);
    const batch = prepareImages(images, { size: this.imageSize });
    try {
      if (search) {
        return await inBatchesAsync(batch, options.batchSize, async (x) => {
          const ids = await searchCodes(this.model, x as tf.Tensor4D, search);
          try {
            return tf.tidy(() => finishImages(this.model.decodeIds(ids, trace), options.output));
          } finally {
            ids.dispose();
          }
        });
      }
      return inBatches(batch, options.batchSize, (x) =>
        tf.tidy(() => {
          const latents = this.model.encodeLatents(x as tf.Tensor4D, trace);
          let z: tf.Tensor3D;
          if (this.config.quantizeMode === 'vq') {
            z = this.model.quantize(latents, trace).quantized as tf.Tensor3D;
          } else {
            const posterior = this.model.posterior(latents, trace);
            z = (options.seed === undefined ? posterior.mode() : posterior.sample(options.seed)) as tf.Tensor3D;
            posterior.dispose();
          }
          return finishImages(this.model.decodeLatents(z, trace), options.output);
        }),
      );
    } finally {
      batch.dispose();
    }
  }

  /** Frees every weight. The tokenizer cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.disposeAll();
  }

  /** The code search's settings, or undefined without one; refuses it for VAE tokenizers. */
  private codeSearch(search: TitokEncodeOptions['search']): ResolvedCodeSearch | undefined {
    const o = resolveCodeSearch(search);
    if (o && this.config.quantizeMode !== 'vq') throw new ConfigError('search picks VQ codes; this tokenizer is a VAE');
    return o;
  }

  private assertUsable(): void {
    if (this.disposed) throw new TitokError('USAGE', 'this TiTok tokenizer has been disposed');
  }
}

