import { RELEASED_VQGAN, VIT_SIZES } from '@titok/core';
import type { GeneratorConfig, MaskgitVqganConfig, ParsedConfig, Preset, TitokConfig, TransformerDims, VitSize } from '@titok/core';

type Json = Record<string, unknown>;

function sizeName(d: TransformerDims): VitSize | undefined {
  return (Object.keys(VIT_SIZES) as VitSize[]).find((k) => {
    const s = VIT_SIZES[k];
    return s.width === d.width && s.numLayers === d.numLayers && s.numHeads === d.numHeads && s.mlpRatio === d.mlpRatio;
  });
}

function vqModel(c: TitokConfig, tiny: Json): Json {
  const vq: Json = {};
  if (c.quantizeMode === 'vq') Object.assign(vq, { codebook_size: c.codebookSize, token_size: c.tokenSize, use_l2_norm: c.useL2Norm, commitment_cost: 0.25 });
  else Object.assign(vq, { quantize_mode: 'vae', token_size: c.tokenSize });
  const enc = sizeName(c.encoder);
  const dec = sizeName(c.decoder);
  vq.vit_enc_model_size = enc ?? 'large';
  vq.vit_dec_model_size = dec ?? 'large';
  vq.vit_enc_patch_size = c.patchSize;
  vq.vit_dec_patch_size = c.decoderPatchSize;
  vq.num_latent_tokens = c.numLatentTokens;
  vq.finetune_decoder = c.isLegacy;
  if (!c.isLegacy) vq.is_legacy = false;
  const explicit = (d: TransformerDims) => ({ width: d.width, num_layers: d.numLayers, num_heads: d.numHeads });
  if (!enc || !dec) Object.assign(tiny, { encoder: explicit(c.encoder), decoder: explicit(c.decoder), mlp_ratio: c.encoder.mlpRatio });
  return vq;
}

function conv(c: Readonly<Omit<MaskgitVqganConfig["conv"], "channelMult">> & { channelMult: readonly number[] }): Json {
  return {
    channel_mult: [...c.channelMult],
    num_resolutions: c.channelMult.length,
    dropout: 0.0,
    hidden_channels: c.hiddenChannels,
    num_channels: c.numChannels,
    num_res_blocks: c.numResBlocks,
    resolution: c.resolution,
    z_channels: c.zChannels,
  };
}

function generator(g: GeneratorConfig): Json {
  return {
    model_type: g.modelType,
    hidden_size: g.hiddenSize,
    num_hidden_layers: g.numHiddenLayers,
    num_attention_heads: g.numAttentionHeads,
    intermediate_size: g.intermediateSize,
    num_steps: g.sampling.numSteps,
    image_seq_len: g.imageSeqLen,
    codebook_size: g.codebookSize,
    condition_num_classes: g.numClasses,
    randomize_temperature: g.sampling.randomizeTemperature,
    guidance_scale: g.sampling.guidanceScale,
    guidance_decay: g.sampling.guidanceDecay,
    guidance_scale_pow: g.sampling.guidanceScalePow,
    softmax_temperature_annealing: g.sampling.softmaxTemperatureAnnealing,
  };
}

/**
 * Writes typed configs back as a reference `config.json` dictionary (the OmegaConf layout the
 * hub files use, sizes by name where they are the standard ones, explicit sizes in a `tiny`
 * block otherwise), so that `parseModelConfig` gives the same typed configs back. Used to give
 * converted models of a detected preset a config.json.
 */
export function toReferenceConfig(parts: Omit<ParsedConfig, 'resolved'>): Json {
  if (parts.maskgitVqgan && !parts.tokenizer && !parts.generator) {
    const m = parts.maskgitVqgan;
    return { ...conv(m.conv), num_embeddings: m.codebook.numEmbeddings, embedding_dim: m.codebook.embeddingDim, commitment_cost: 0.25 };
  }
  const tiny: Json = {};
  const model: Json = {};
  const t = parts.tokenizer;
  if (t) {
    model.vq_model = vqModel(t, tiny);
    const released = JSON.stringify([conv(RELEASED_VQGAN.conv), RELEASED_VQGAN.codebook]);
    if (t.isLegacy && t.pixelDecoder && t.pixelQuantizer && JSON.stringify([conv(t.pixelDecoder), t.pixelQuantizer]) !== released) {
      tiny.pixel_decoder = conv(t.pixelDecoder);
      tiny.pixel_quantizer = { num_embeddings: t.pixelQuantizer.numEmbeddings, embedding_dim: t.pixelQuantizer.embeddingDim };
    }
  }
  if (parts.generator) model.generator = generator(parts.generator);
  const out: Json = { model, dataset: { preprocessing: { crop_size: t?.imageSize ?? 256 } } };
  if (Object.keys(tiny).length) out.tiny = tiny;
  return out;
}

/** The typed configs of a released preset, in the shape `parseModelConfig` returns. */
export function presetParsedConfig(preset: Preset, tokenizerOf?: (name: string) => Preset | undefined): ParsedConfig {
  const c = preset.config;
  const parts: Omit<ParsedConfig, 'resolved'> = {};
  if (c.type === 'titok') parts.tokenizer = c;
  else if (c.type === 'generator') {
    parts.generator = c;
    const tok = preset.tokenizer && tokenizerOf?.(preset.tokenizer);
    if (tok && tok.config.type === 'titok') parts.tokenizer = tok.config;
  } else parts.maskgitVqgan = c;
  return { ...parts, resolved: toReferenceConfig(parts) };
}
