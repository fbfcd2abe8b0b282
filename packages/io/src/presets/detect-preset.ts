import { PRESETS, numel } from '@titok/core';
import type { GeneratorConfig, MaskgitVqganConfig, Preset, TensorInfo, TitokConfig } from '@titok/core';

/** Buffers that some checkpoints carry and loaders ignore (older Hugging Face BERT). */
export const IGNORABLE_KEYS: ReadonlySet<string> = new Set(['model.embeddings.position_ids']);

/** A key that must exist with this shape, or (shape `null`) must not exist. */
type Probe = [key: string, shape: number[] | null];

function titokProbes(c: TitokConfig): Probe[] {
  const de = c.encoder.width;
  const dd = c.decoder.width;
  const g = c.imageSize / c.patchSize;
  const gd = c.imageSize / c.decoderPatchSize;
  const C = c.tokenSize;
  const probes: Probe[] = [
    ['latent_tokens', [c.numLatentTokens, de]],
    ['encoder.patch_embed.weight', [de, 3, c.patchSize, c.patchSize]],
    ['encoder.positional_embedding', [g * g + 1, de]],
    [`encoder.transformer.${c.encoder.numLayers - 1}.ln_1.weight`, [de]],
    [`encoder.transformer.${c.encoder.numLayers}.ln_1.weight`, null],
    ['encoder.transformer.0.mlp.c_fc.weight', [de * c.encoder.mlpRatio, de]],
    ['encoder.conv_out.weight', [c.quantizeMode === 'vae' ? 2 * C : C, de, 1, 1]],
    ['decoder.decoder_embed.weight', [dd, C]],
    ['decoder.positional_embedding', [gd * gd + 1, dd]],
    ['decoder.latent_token_positional_embedding', [c.numLatentTokens, dd]],
    [`decoder.transformer.${c.decoder.numLayers - 1}.ln_1.weight`, [dd]],
    [`decoder.transformer.${c.decoder.numLayers}.ln_1.weight`, null],
    ['decoder.transformer.0.mlp.c_fc.weight', [dd * c.decoder.mlpRatio, dd]],
    ['quantize.embedding.weight', c.quantizeMode === 'vq' ? [c.codebookSize, C] : null],
  ];
  if (c.isLegacy && c.pixelQuantizer && c.pixelDecoder) {
    const pd = c.pixelDecoder;
    probes.push(
      ['pixel_quantize.embedding.weight', [c.pixelQuantizer.numEmbeddings, c.pixelQuantizer.embeddingDim]],
      ['pixel_decoder.conv_in.weight', [pd.hiddenChannels * pd.channelMult[pd.channelMult.length - 1]!, pd.zChannels, 3, 3]],
      ['decoder.conv_out.weight', null],
    );
  } else {
    const p = c.decoderPatchSize;
    probes.push(['decoder.ffn.0.weight', [p * p * 3, dd, 1, 1]], ['decoder.conv_out.weight', [3, 3, 3, 3]], ['pixel_quantize.embedding.weight', null]);
  }
  return probes;
}

function generatorProbes(c: GeneratorConfig): Probe[] {
  const h = c.hiddenSize;
  const vocab = c.codebookSize + c.numClasses + 2;
  if (c.modelType === 'UViT') {
    const half = Math.floor(c.numHiddenLayers / 2);
    return [
      ['embeddings.weight', [vocab, h]],
      ['pos_embed', [1, c.imageSeqLen + 1, h]],
      [`in_blocks.${half - 1}.norm1.weight`, [h]],
      [`in_blocks.${half}.norm1.weight`, null],
      [`out_blocks.${half - 1}.skip_linear.weight`, [h, 2 * h]],
      ['mid_block.mlp.fc1.weight', [c.intermediateSize, h]],
      ['lm_head.weight', [c.codebookSize, h]],
    ];
  }
  return [
    ['model.embeddings.word_embeddings.weight', [vocab, h]],
    ['model.embeddings.position_embeddings.weight', [c.imageSeqLen + 1, h]],
    [`model.encoder.layer.${c.numHiddenLayers - 1}.attention.self.query.weight`, [h, h]],
    [`model.encoder.layer.${c.numHiddenLayers}.attention.self.query.weight`, null],
    ['model.encoder.layer.0.intermediate.dense.weight', [c.intermediateSize, h]],
    ['model.lm_head.weight', [c.codebookSize, h]],
  ];
}

function maskgitProbes(c: MaskgitVqganConfig): Probe[] {
  const top = c.conv.hiddenChannels * c.conv.channelMult[c.conv.channelMult.length - 1]!;
  return [
    ['encoder.conv_in.weight', [c.conv.hiddenChannels, c.conv.numChannels, 3, 3]],
    ['encoder.conv_out.weight', [c.conv.zChannels, top, 1, 1]],
    ['decoder.conv_in.weight', [top, c.conv.zChannels, 3, 3]],
    ['decoder.conv_out.weight', [c.conv.numChannels, c.conv.hiddenChannels, 3, 3]],
    ['quantize.embedding.weight', [c.codebook.numEmbeddings, c.codebook.embeddingDim]],
    ['latent_tokens', null],
  ];
}

/** The keys and shapes that single out a preset's checkpoint (besides its parameter count). */
export function presetProbes(preset: Preset): readonly Probe[] {
  const c = preset.config;
  if (c.type === 'titok') return titokProbes(c);
  if (c.type === 'generator') return generatorProbes(c);
  return maskgitProbes(c);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Tells which released model (of core's `PRESETS`: the nine tokenizers, three generators and
 * MaskGIT-VQGAN) a state dict is from, by its keys and shapes: the parameter count must match
 * exactly (ignoring buffers such as `model.embeddings.position_ids` that some checkpoints
 * carry), and the keys that distinguish the models (latent tokens, widths, depths, codebook,
 * decoder head, ...) must be present with the preset's shapes. Returns undefined when none fits.
 */
export function detectPreset(tensors: Iterable<TensorInfo> | { tensors: ReadonlyMap<string, TensorInfo> }): Preset | undefined {
  const list = Symbol.iterator in (tensors as object) ? [...(tensors as Iterable<TensorInfo>)] : [...(tensors as { tensors: ReadonlyMap<string, TensorInfo> }).tensors.values()];
  const byName = new Map<string, TensorInfo>();
  let parameters = 0;
  for (const t of list) {
    byName.set(t.name, t);
    if (!IGNORABLE_KEYS.has(t.name)) parameters += numel(t.shape);
  }
  return PRESETS.find(
    (p) =>
      p.parameters === parameters &&
      presetProbes(p).every(([key, shape]) => {
        const t = byName.get(key);
        return shape === null ? t === undefined : t !== undefined && sameShape(t.shape, shape);
      }),
  );
}
