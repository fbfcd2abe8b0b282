/**
 * Build-time data of the model-zoo page: the released models as @titok/core's presets describe
 * them (tokens, codebook, parameters, float32 bytes), with the FID scores the authors report.
 */
import { defineLoader } from 'vitepress';
import { GENERATOR_PRESETS, TOKENIZER_PRESETS } from '@titok/core';

/**
 * ImageNet 256x256 FID as reported by the reference repository's README_TiTok.md (model zoo
 * table; bytedance/1d-tokenizer, commit 1c6df99): rFID for tokenizers (reconstruction), gFID
 * for generators (generation with their tokenizer).
 */
export const REPORTED_FID: Record<string, number> = {
  titok_l32: 2.21,
  titok_b64: 1.7,
  titok_s128: 1.71,
  titok_bl64_vq8k: 2.06,
  titok_bl128_vq8k: 1.49,
  titok_sl256_vq8k: 1.03,
  titok_ll32_vae_c16: 1.61,
  titok_bl64_vae_c16: 1.25,
  titok_bl128_vae_c16: 0.84,
  generator_titok_l32: 2.77,
  generator_titok_b64: 2.48,
  generator_titok_s128: 1.97,
};

export interface ZooRow {
  name: string;
  shortName: string;
  kind: 'tokenizer' | 'generator';
  hubRepo: string;
  /** Tokens per image. */
  tokens: number;
  /** e.g. 'VQ 4096', 'VAE 16 ch', or the tokenizer a generator pairs with. */
  codes: string;
  parameters: number;
  float32Bytes: number;
  rfid?: number;
  gfid?: number;
  /** Generators: released sampling defaults. */
  sampling?: string;
}

export interface ZooData {
  tokenizers: ZooRow[];
  generators: ZooRow[];
}

declare const data: ZooData;
export { data };

export default defineLoader({
  load(): ZooData {
    const tokenizers: ZooRow[] = TOKENIZER_PRESETS.map((p) => ({
      name: p.name,
      shortName: p.shortName,
      kind: 'tokenizer',
      hubRepo: p.hubRepo ?? '',
      tokens: p.config.numLatentTokens,
      codes: p.config.quantizeMode === 'vq' ? `VQ ${p.config.codebookSize}` : `VAE ${p.config.tokenSize} ch`,
      parameters: p.parameters,
      float32Bytes: p.float32Bytes,
      rfid: REPORTED_FID[p.name],
    }));
    const generators: ZooRow[] = GENERATOR_PRESETS.map((p) => {
      const s = p.config.sampling;
      return {
        name: p.name,
        shortName: p.shortName,
        kind: 'generator',
        hubRepo: p.hubRepo ?? '',
        tokens: p.config.imageSeqLen,
        codes: `${p.config.modelType === 'UViT' ? 'U-ViT' : 'BERT'} → ${TOKENIZER_PRESETS.find((t) => t.name === p.tokenizer)?.shortName ?? p.tokenizer}`,
        parameters: p.parameters,
        float32Bytes: p.float32Bytes,
        gfid: REPORTED_FID[p.name],
        sampling: `${s.numSteps} steps, guidance ${s.guidanceScale} (${s.guidanceDecay}), temperature ${s.randomizeTemperature}`,
      };
    });
    return { tokenizers, generators };
  },
});
