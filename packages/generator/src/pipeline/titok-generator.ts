import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, TitokError, getPreset, selectBackend } from '@titok/core';
import type { BackendRequest, GeneratorConfig, StateDict } from '@titok/core';
import { openModelSource } from '@titok/io';
import type { ModelSourceInput, OpenModelSourceOptions, ProgressInfo } from '@titok/io';
import { IMAGENET_NUM_CLASSES, imagenetClassName, resolveClassLabel } from '../imagenet-classes.js';
import type { ClassLabelInput } from '../imagenet-classes.js';
import { buildGeneratorNetwork, loadGeneratorNetwork } from '../networks/build.js';
import type { GeneratorNetwork } from '../networks/generator-network.js';
import { sampleMaskGit } from '../sampling/maskgit-sampler.js';
import type { StepRecord } from '../sampling/maskgit-sampler.js';
import type { GenerateOptions, ResolvedSampling } from '../sampling/options.js';

/** Weights being copied into the network. */
export interface GeneratorLoadingProgress {
  status: 'loading';
  /** The checkpoint (file name or URL). */
  name: string;
  /** The state-dict key just loaded. */
  file: string;
  loaded: number;
  total: number;
  /** Percent, 0 to 100. */
  progress: number;
}

/** Load progress: @titok/io's download events, then `loading` per tensor. */
export type GeneratorLoadProgress = ProgressInfo | GeneratorLoadingProgress;

/** Options of {@link TitokGenerator.fromStateDict}. */
export interface GeneratorLoadOptions {
  /** The backend to run on (`'auto'`, `'webgpu'`, `'wasm'`, `'cpu'`); default: the active one. */
  device?: BackendRequest;
  progress_callback?: (info: GeneratorLoadProgress) => void;
}

/** Options of {@link TitokGenerator.fromPretrained}. */
export interface GeneratorPretrainedOptions extends GeneratorLoadOptions, Omit<OpenModelSourceOptions, 'resolvers'> {}

/** What {@link TitokGenerator.generate} returns. */
export interface GenerationOutput {
  /** One row of L token ids in [0, K) per image. */
  tokens: number[][];
  /** The same ids, N x L row-major. */
  ids: Int32Array;
  /** The class label of each image. */
  labels: number[];
  /** The sampling settings used. */
  settings: ResolvedSampling;
  /** Every step's ids (mask id K where undecided) and schedule values. */
  steps: StepRecord[];
}

async function useDevice(device: BackendRequest | undefined): Promise<void> {
  if (device !== undefined) await selectBackend({ backend: device });
  else if (!tf.getBackend()) await selectBackend({});
}

/**
 * A class-conditional TiTok generator: the BERT generator of TiTok-L-32 / B-64 or the U-ViT
 * generator of TiTok-S-128, with the reference's MaskGIT sampler. `generate` turns class labels
 * into token ids that the paired tokenizer decodes (see {@link generateImages}).
 *
 * Sampling is exact against the reference and reproducible: the same seed and settings give the
 * same tokens on every backend (randomness is a Philox4x32-10 stream computed in JavaScript).
 *
 * @example
 * ```ts
 * const gen = await TitokGenerator.fromPretrained('titok-l32-generator');
 * const { tokens } = await gen.generate(['golden retriever', 980], { seed: 42 });
 * ```
 */
export class TitokGenerator {
  private disposed = false;

  private constructor(readonly network: GeneratorNetwork) {}

  /** A generator with random weights (for tests, benchmarks and training); `seed` makes them reproducible. */
  static fromConfig(config: GeneratorConfig | string, options: { seed?: number } = {}): TitokGenerator {
    return new TitokGenerator(buildGeneratorNetwork(typeof config === 'string' ? presetConfig(config) : config, { seed: options.seed }));
  }

  /**
   * A generator with the weights of a state dict, loaded strictly (BERT checkpoints may also
   * hold `model.embeddings.position_ids`, which is ignored).
   *
   * @throws WeightsError listing missing, unexpected and mis-shaped keys
   */
  static async fromStateDict(config: GeneratorConfig | string, stateDict: StateDict, options: GeneratorLoadOptions = {}): Promise<TitokGenerator> {
    const c = typeof config === 'string' ? presetConfig(config) : config;
    await useDevice(options.device);
    const cb = options.progress_callback;
    const network = await loadGeneratorNetwork(c, stateDict, {
      onProgress: cb ? (loaded, total, key) => cb({ status: 'loading', name: stateDict.source, file: key, loaded, total, progress: (100 * loaded) / total }) : undefined,
    });
    return new TitokGenerator(network);
  }

  /**
   * Loads a generator from a released model's name (`titok-l32-generator`), a hub repo, a URL,
   * a folder (config.json + weights) or a checkpoint file: anything `openModelSource` of
   * @titok/io opens, in any weight format it reads.
   *
   * @throws ConfigError when the source is not a generator; WeightsError, FormatError, NetworkError as loading fails
   */
  static async fromPretrained(source: ModelSourceInput, options: GeneratorPretrainedOptions = {}): Promise<TitokGenerator> {
    await useDevice(options.device);
    const { device: _d, progress_callback, ...open } = options;
    const src = await openModelSource(source, { ...open, progress_callback });
    try {
      const config = src.config?.generator;
      if (!config) throw new ConfigError(`${src.configFile ?? src.weightsFile}: not a generator config (model.generator is missing)`);
      return await TitokGenerator.fromStateDict(config, src.stateDict, { progress_callback });
    } finally {
      await src.close();
    }
  }

  /** The configuration the network was built from. */
  get config(): GeneratorConfig {
    return this.network.config;
  }

  /** Tokens per image (L). */
  get numTokens(): number {
    return this.config.imageSeqLen;
  }

  /** Image-token vocabulary (K), the paired tokenizer's codebook size. */
  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** Number of classes (1000 for the released ImageNet generators). */
  get numClasses(): number {
    return this.config.numClasses;
  }

  /**
   * The name of class `label`: the model's own (`class_names` in its config) or, for the 1000
   * ImageNet classes, ImageNet's; undefined for other unnamed classes.
   */
  className(label: number): string | undefined {
    if (this.config.classNames) return this.config.classNames[label];
    return this.numClasses === IMAGENET_NUM_CLASSES && label >= 0 && label < IMAGENET_NUM_CLASSES ? imagenetClassName(label) : undefined;
  }

  /**
   * Generates one token sequence per class. Classes are indices or names — the model's own
   * class names when its config has them (`'sneaker'`), else ImageNet's (`'golden retriever'`,
   * `207`, `'207'`); every sampling setting defaults to the generator's
   * released default.
   *
   * @throws InputError for a bad class or setting; CancelledError when `options.signal` aborts
   */
  async generate(classes: ClassLabelInput | readonly ClassLabelInput[], options: GenerateOptions = {}): Promise<GenerationOutput> {
    if (this.disposed) throw new TitokError('USAGE', 'this generator has been disposed');
    const list = Array.isArray(classes) ? classes : [classes as ClassLabelInput];
    const labels = list.map((c) => resolveClassLabel(c, this.numClasses, this.config.classNames));
    const r = await sampleMaskGit(this.network, labels, this.config.sampling, options);
    const L = this.numTokens;
    const tokens = labels.map((_, i) => Array.from(r.ids.subarray(i * L, (i + 1) * L)));
    return { tokens, ids: r.ids, labels, settings: r.settings, steps: r.steps };
  }

  /** Frees every weight. The generator cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.network.disposeAll();
  }
}

function presetConfig(name: string): GeneratorConfig {
  const preset = getPreset(name);
  if (preset.kind !== 'generator') throw new ConfigError(`'${name}' is a ${preset.kind}, not a generator`);
  return preset.config as GeneratorConfig;
}
