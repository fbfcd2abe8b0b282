import { ConfigError } from '../errors/index.js';
import { resolveInterpolations } from './interpolate.js';
import type {
  CodebookConfig,
  GeneratorConfig,
  GuidanceDecay,
  MaskgitVqganConfig,
  TitokConfig,
  TransformerDims,
  VqganConvConfig,
} from './types.js';
import { RELEASED_VQGAN, VIT_SIZES } from './vit-sizes.js';

type Obj = Record<string, unknown>;

/** What a reference `config.json` describes; a tokenizer config may also carry its generator. */
export interface ParsedConfig {
  tokenizer?: TitokConfig;
  generator?: GeneratorConfig;
  maskgitVqgan?: MaskgitVqganConfig;
  /** The input with every interpolation resolved. */
  resolved: Record<string, unknown>;
}

class Reader {
  constructor(
    private readonly file: string | undefined,
    private readonly where: string,
    private readonly obj: Obj,
  ) {}

  private fail(key: string, what: string): never {
    throw new ConfigError(`${this.where}.${key}: ${what}`, { file: this.file });
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  int(key: string, fallback?: number, min = 1): number {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'is missing');
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(key, `must be an integer, got ${JSON.stringify(v)}`);
    if (v < min) this.fail(key, `must be at least ${min}, got ${v}`);
    return v;
  }

  num(key: string, fallback?: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'is missing');
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  str(key: string, fallback?: string): string {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'is missing');
    }
    if (typeof v !== 'string') this.fail(key, `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  intList(key: string): number[] {
    const v = this.obj[key];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x > 0)) {
      this.fail(key, `must be a list of positive integers, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  }

  child(key: string): Reader | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'must be an object');
    return new Reader(this.file, `${this.where}.${key}`, v as Obj);
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  error(message: string): never {
    throw new ConfigError(`${this.where}: ${message}`, { file: this.file });
  }
}

function dims(size: unknown, explicit: Reader | undefined, mlpRatio: number, r: Reader, key: string): TransformerDims {
  let out: TransformerDims;
  if (explicit) {
    out = {
      width: explicit.int('width'),
      numLayers: explicit.int('num_layers'),
      numHeads: explicit.int('num_heads'),
      mlpRatio: explicit.has('mlp_ratio') ? explicit.num('mlp_ratio') : mlpRatio,
    };
  } else if (typeof size === 'string' && size in VIT_SIZES) {
    out = { ...VIT_SIZES[size as keyof typeof VIT_SIZES] };
  } else {
    r.error(`${key} must be one of small, base, large (got ${JSON.stringify(size)}) or explicit sizes must be given`);
  }
  if (out.width % out.numHeads !== 0) r.error(`${key}: width ${out.width} is not divisible by ${out.numHeads} heads`);
  return out;
}

function convConfig(r: Reader): VqganConvConfig {
  return {
    hiddenChannels: r.int('hidden_channels'),
    channelMult: r.intList('channel_mult'),
    numResBlocks: r.int('num_res_blocks'),
    zChannels: r.int('z_channels'),
    numChannels: r.int('num_channels', 3),
    resolution: r.int('resolution'),
  };
}

function codebookConfig(r: Reader): CodebookConfig {
  return { numEmbeddings: r.int('num_embeddings'), embeddingDim: r.int('embedding_dim') };
}

function parseTitok(vq: Reader, root: Reader, tiny: Reader | undefined): TitokConfig {
  const mode = vq.str('quantize_mode', 'vq');
  if (mode !== 'vq' && mode !== 'vae') vq.error(`quantize_mode must be 'vq' or 'vae', got '${mode}'`);
  const imageSize = root.child('dataset')?.child('preprocessing')?.int('crop_size', 256) ?? 256;
  const patchSize = vq.int('vit_enc_patch_size', 16);
  const decoderPatchSize = vq.int('vit_dec_patch_size', patchSize);
  for (const [k, p] of [['vit_enc_patch_size', patchSize], ['vit_dec_patch_size', decoderPatchSize]] as const) {
    if (imageSize % p !== 0) vq.error(`${k} ${p} does not divide the image size ${imageSize}`);
  }
  const mlpRatio = tiny?.has('mlp_ratio') ? tiny.num('mlp_ratio') : 4;
  const isLegacy = vq.bool('is_legacy', true);
  const config: TitokConfig = {
    type: 'titok',
    imageSize,
    patchSize,
    decoderPatchSize,
    numLatentTokens: vq.int('num_latent_tokens'),
    tokenSize: vq.int('token_size'),
    quantizeMode: mode,
    codebookSize: mode === 'vq' ? vq.int('codebook_size') : 0,
    useL2Norm: mode === 'vq' ? vq.bool('use_l2_norm', false) : false,
    isLegacy,
    encoder: dims(vq.raw('vit_enc_model_size'), tiny?.child('encoder'), mlpRatio, vq, 'vit_enc_model_size'),
    decoder: dims(vq.raw('vit_dec_model_size'), tiny?.child('decoder'), mlpRatio, vq, 'vit_dec_model_size'),
  };
  if (isLegacy) {
    const pd = tiny?.child('pixel_decoder');
    const pq = tiny?.child('pixel_quantizer');
    config.pixelDecoder = pd ? convConfig(pd) : { ...RELEASED_VQGAN.conv, channelMult: [...RELEASED_VQGAN.conv.channelMult] };
    config.pixelQuantizer = pq ? codebookConfig(pq) : { ...RELEASED_VQGAN.codebook };
  }
  return config;
}

const DECAYS: readonly GuidanceDecay[] = ['constant', 'linear', 'power-cosine'];

function parseGenerator(gen: Reader, vq: Reader | undefined): GeneratorConfig {
  const modelType = gen.str('model_type', 'ViT');
  if (modelType !== 'ViT' && modelType !== 'UViT') gen.error(`model_type must be 'ViT' or 'UViT', got '${modelType}'`);
  const decay = gen.str('guidance_decay', 'constant');
  if (!(DECAYS as readonly string[]).includes(decay)) {
    gen.error(`guidance_decay must be one of ${DECAYS.join(', ')}, got '${decay}'`);
  }
  const codebookSize = gen.has('codebook_size') ? gen.int('codebook_size') : vq?.int('codebook_size');
  if (codebookSize === undefined) gen.error('the codebook size is unknown: model.vq_model.codebook_size is missing');
  const hidden = gen.int('hidden_size');
  const heads = gen.int('num_attention_heads');
  const numClasses = gen.int('condition_num_classes', 1000);
  const names = gen.raw('class_names');
  if (names !== undefined && names !== null) {
    if (!Array.isArray(names) || names.length !== numClasses || !names.every((n) => typeof n === 'string' && n.trim() !== '')) {
      gen.error(`class_names must be a list of ${numClasses} non-empty names (condition_num_classes)`);
    }
  }
  if (hidden % heads !== 0) gen.error(`hidden_size ${hidden} is not divisible by ${heads} heads`);
  return {
    type: 'generator',
    modelType,
    hiddenSize: hidden,
    numHiddenLayers: gen.int('num_hidden_layers'),
    numAttentionHeads: heads,
    intermediateSize: gen.int('intermediate_size'),
    imageSeqLen: gen.has('image_seq_len') ? gen.int('image_seq_len') : vq!.int('num_latent_tokens'),
    codebookSize,
    numClasses,
    ...(Array.isArray(names) ? { classNames: [...(names as string[])] } : {}),
    sampling: {
      numSteps: gen.int('num_steps', 8),
      guidanceScale: gen.num('guidance_scale', 3),
      guidanceDecay: decay as GuidanceDecay,
      randomizeTemperature: gen.num('randomize_temperature', 1),
      guidanceScalePow: gen.num('guidance_scale_pow', 3),
      softmaxTemperatureAnnealing: gen.bool('softmax_temperature_annealing', false),
    },
  };
}

/**
 * Parses a reference `config.json` (the OmegaConf dump `save_pretrained` writes, or the
 * MaskGIT-VQGAN settings), resolving `${...}` interpolations. Explicit sizes in a `tiny`
 * block take precedence over the size names (`small`/`base`/`large`).
 *
 * @param raw - the parsed JSON
 * @param file - the file name, for error messages
 * @throws ConfigError naming the key that is missing or wrong
 */
export function parseModelConfig(raw: unknown, file?: string): ParsedConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('a model config must be a JSON object', { file });
  }
  const resolved = resolveInterpolations(raw as Obj, file);
  const root = new Reader(file, 'config', resolved);
  const tiny = root.child('tiny');
  const out: ParsedConfig = { resolved };
  const model = root.child('model');
  if (model) {
    const vq = model.child('vq_model');
    if (vq) out.tokenizer = parseTitok(vq, root, tiny);
    const gen = model.child('generator');
    if (gen) out.generator = parseGenerator(gen, vq);
  } else if (root.has('channel_mult') && root.has('num_embeddings')) {
    out.maskgitVqgan = { type: 'maskgit-vqgan', conv: convConfig(root), codebook: codebookConfig(root) };
  }
  if (!out.tokenizer && !out.generator && !out.maskgitVqgan) {
    throw new ConfigError(
      'not a TiTok config: expected model.vq_model and/or model.generator (or MaskGIT-VQGAN settings)',
      { file },
    );
  }
  return out;
}
