import * as tf from '@tensorflow/tfjs-core';
import { Embedding, LayerNorm, Linear, registerLayer } from '@titok/core';
import type { GeneratorConfig } from '@titok/core';
import { GeneratorNetwork } from './generator-network.js';
import type { Tap } from './generator-network.js';
import { vocabSize } from './token-space.js';
import { UVitBlock } from './uvit-block.js';

/**
 * The U-ViT generator of TiTok-S-128 (`modeling.maskgit.UViTBert`): `embeddings` plus
 * `pos_embed`, `num_hidden_layers / 2` in-blocks, a mid-block and as many out-blocks whose
 * skips are the in-block outputs taken last-in first-out, then `norm` and `lm_head`.
 */
export class UVitGenerator extends GeneratorNetwork {
  static className = 'TitokUVitGenerator';
  readonly posEmbed;
  readonly embeddings: Embedding;
  readonly inBlocks: UVitBlock[];
  readonly midBlock: UVitBlock;
  readonly outBlocks: UVitBlock[];
  readonly norm: LayerNorm;
  readonly lmHead: Linear;

  constructor(config: GeneratorConfig) {
    super(config);
    if (config.modelType !== 'UViT') throw new Error(`UVitGenerator: model type ${config.modelType}`);
    const hidden = config.hiddenSize;
    const dims = { hidden, heads: config.numAttentionHeads, mlp: config.intermediateSize };
    const half = Math.floor(config.numHiddenLayers / 2);
    this.posEmbed = this.param('pos_embed', [1, config.imageSeqLen + 1, hidden], 'normal');
    this.embeddings = this.child('embeddings', new Embedding({ numEmbeddings: vocabSize(config.codebookSize, config.numClasses), embeddingDim: hidden, init: 'normal' }));
    this.inBlocks = this.children('in_blocks', Array.from({ length: half }, () => new UVitBlock(dims)));
    this.midBlock = this.child('mid_block', new UVitBlock(dims));
    this.outBlocks = this.children('out_blocks', Array.from({ length: half }, () => new UVitBlock(dims, true)));
    this.norm = this.child('norm', new LayerNorm({ dim: hidden }));
    this.lmHead = this.child('lm_head', new Linear({ inFeatures: hidden, outFeatures: config.codebookSize }));
  }

  forwardSequence(sequence: tf.Tensor, tap?: Tap): tf.Tensor {
    return tf.tidy(() => {
      const t = sequence.shape[1]!;
      const hidden = this.config.hiddenSize;
      const emb = this.embeddings.forward(sequence);
      tap?.('embeddings.out', emb);
      let x = tf.add(emb, tf.slice(this.posEmbed.read(), [0, 0, 0], [1, t, hidden]));
      const skips: tf.Tensor[] = [];
      this.inBlocks.forEach((blk, i) => {
        x = blk.run(x, undefined, tap, `in_blocks.${i}.`);
        tap?.(`in_blocks.${i}.out`, x);
        skips.push(x);
      });
      x = this.midBlock.run(x, undefined, tap, 'mid_block.');
      tap?.('mid_block.out', x);
      this.outBlocks.forEach((blk, i) => {
        x = blk.run(x, skips.pop(), tap, `out_blocks.${i}.`);
        tap?.(`out_blocks.${i}.out`, x);
      });
      x = this.norm.forward(x);
      tap?.('norm.out', x);
      const b = x.shape[0]!;
      return this.lmHead.forward(tf.slice(x, [0, 1, 0], [b, t - 1, hidden]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), config: this.config as unknown as tf.serialization.ConfigDict };
  }
}
registerLayer(UVitGenerator);
