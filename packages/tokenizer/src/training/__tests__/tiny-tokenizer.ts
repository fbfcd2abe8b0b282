/** Test helper (not built): the tiny direct-RGB VQ tokenizer the training tests train. */

/** A tiny direct-RGB VQ tokenizer for 16x16 images: 8 tokens, 16 l2-normalised codes of 4. */
export const TINY_TOKENIZER_CONFIG = {
  model: {
    vq_model: {
      codebook_size: 16,
      token_size: 4,
      use_l2_norm: true,
      vit_enc_model_size: 'tiny',
      vit_dec_model_size: 'tiny',
      vit_enc_patch_size: 4,
      vit_dec_patch_size: 4,
      num_latent_tokens: 8,
      is_legacy: false,
    },
  },
  dataset: { preprocessing: { crop_size: 16 } },
  tiny: { encoder: { width: 16, num_layers: 1, num_heads: 2 }, decoder: { width: 16, num_layers: 1, num_heads: 2 }, mlp_ratio: 2 },
};
