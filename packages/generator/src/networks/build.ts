import { ConfigError, loadStateDict, withParamInit } from '@titok/core';
import type { GeneratorConfig, StateDict } from '@titok/core';
import { BertGenerator } from './bert-generator.js';
import type { GeneratorNetwork } from './generator-network.js';
import { UVitGenerator } from './uvit-generator.js';

/**
 * Builds the network a generator config describes. Its weights are initialised randomly
 * (reproducibly with `seed`), or to zeros with `zeros` (no random draws and, on the CPU
 * backend, no memory touched: for networks that are only inspected or about to be loaded).
 */
export function buildGeneratorNetwork(config: GeneratorConfig, init: { seed?: number; zeros?: boolean } = {}): GeneratorNetwork {
  return withParamInit(init, () => buildNetwork(config));
}

function buildNetwork(config: GeneratorConfig): GeneratorNetwork {
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new ConfigError(`generator hidden size ${config.hiddenSize} is not divisible by ${config.numAttentionHeads} heads`);
  }
  switch (config.modelType) {
    case 'ViT':
      return new BertGenerator(config);
    case 'UViT':
      return new UVitGenerator(config);
    default:
      throw new ConfigError(`unknown generator model type '${(config as { modelType: string }).modelType}' (ViT or UViT)`);
  }
}

/**
 * When none of the network's keys is in the state dict, says what the weights are instead
 * (a tokenizer, or the other generator type) rather than listing every key.
 */
function assertGeneratorWeights(network: GeneratorNetwork, sd: StateDict): void {
  const keys = [...sd.tensors.keys()];
  if ([...network.namedWeights().keys()].some((k) => sd.tensors.has(k))) return;
  const where = sd.source;
  const type = network.config.modelType === 'ViT' ? 'a BERT (ViT)' : 'a U-ViT';
  if (keys.some((k) => /^(encoder|decoder|quantize|pixel_decoder|pixel_quantize)\./.test(k) || k === 'latent_tokens')) {
    throw new ConfigError(`${where}: these are a TiTok tokenizer's weights (encoder./decoder. keys), not a generator's`);
  }
  if (keys.some((k) => k.startsWith('model.embeddings.'))) {
    throw new ConfigError(`${where}: these are a BERT (ViT) generator's weights (model.* keys) but the config describes ${type} generator`);
  }
  if (keys.includes('pos_embed') || keys.some((k) => k.startsWith('in_blocks.'))) {
    throw new ConfigError(`${where}: these are a U-ViT generator's weights (in_blocks.* keys) but the config describes ${type} generator`);
  }
}

/** Options of {@link loadGeneratorNetwork}. */
export interface LoadGeneratorNetworkOptions {
  /** Called after each tensor is loaded. */
  onProgress?: (loaded: number, total: number, key: string) => void;
}

/**
 * Builds the network for `config` and loads `stateDict` into it strictly: every key must be
 * there with its shape and nothing else may be (but BERT's `model.embeddings.position_ids`).
 *
 * @throws WeightsError listing missing, unexpected and mis-shaped keys
 */
export async function loadGeneratorNetwork(
  config: GeneratorConfig,
  stateDict: StateDict,
  options: LoadGeneratorNetworkOptions = {},
): Promise<GeneratorNetwork> {
  const network = buildGeneratorNetwork(config, { zeros: true });
  try {
    assertGeneratorWeights(network, stateDict);
    await loadStateDict(network, stateDict, { ignore: (k) => network.ignoreKey(k), onProgress: options.onProgress });
  } catch (e) {
    network.disposeAll();
    throw e;
  }
  return network;
}
