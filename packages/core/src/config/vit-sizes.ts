import type { TransformerDims, VitSize } from './types.js';

/** The reference's ViT size table (width, depth, heads; MLP 4x). */
export const VIT_SIZES: Readonly<Record<VitSize, Readonly<TransformerDims>>> = {
  small: { width: 512, numLayers: 8, numHeads: 8, mlpRatio: 4 },
  base: { width: 768, numLayers: 12, numHeads: 12, mlpRatio: 4 },
  large: { width: 1024, numLayers: 24, numHeads: 16, mlpRatio: 4 },
};

/** The MaskGIT-VQGAN settings hard-coded in the reference for every released model. */
export const RELEASED_VQGAN = {
  conv: { hiddenChannels: 128, channelMult: [1, 1, 2, 2, 4], numResBlocks: 2, zChannels: 256, numChannels: 3, resolution: 256 },
  codebook: { numEmbeddings: 1024, embeddingDim: 256 },
} as const;
