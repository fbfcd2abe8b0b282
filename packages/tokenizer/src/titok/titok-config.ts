import { ConfigError, parseModelConfig } from '@titok/core';
import type { ParsedConfig, TitokConfig } from '@titok/core';

/**
 * A TiTok configuration in any of the forms users have: the typed {@link TitokConfig}, the
 * result of `parseModelConfig`, or the reference's `config.json` object as parsed JSON.
 */
export type TitokConfigInput = TitokConfig | ParsedConfig | Record<string, unknown>;

/** Resolves a {@link TitokConfigInput} to a {@link TitokConfig}. @throws ConfigError */
export function resolveTitokConfig(input: TitokConfigInput, file?: string): TitokConfig {
  if (input === null || typeof input !== 'object') throw new ConfigError('a TiTok config must be an object', { file });
  if ((input as TitokConfig).type === 'titok') return input as TitokConfig;
  const parsed = 'resolved' in input && ('tokenizer' in input || 'generator' in input || 'maskgitVqgan' in input)
    ? (input as ParsedConfig)
    : parseModelConfig(input, file);
  if (!parsed.tokenizer) throw new ConfigError('the config does not describe a TiTok tokenizer (model.vq_model is missing)', { file });
  return parsed.tokenizer;
}
