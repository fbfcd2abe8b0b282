import * as tf from '@tensorflow/tfjs-core';
import { TitokLayer, registerLayer } from '@titok/core';
import type { TitokLayerArgs } from '@titok/core';

export interface EmbeddingArgs extends TitokLayerArgs {
  numEmbeddings: number;
  embeddingDim: number;
}

/** PyTorch `nn.Embedding`: row lookup in `weight` (numEmbeddings x embeddingDim). */
export class Embedding extends TitokLayer {
  static className = 'TitokEmbedding';
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly weight;

  constructor(args: EmbeddingArgs) {
    super(args);
    this.numEmbeddings = args.numEmbeddings;
    this.embeddingDim = args.embeddingDim;
    this.weight = this.param('weight', [this.numEmbeddings, this.embeddingDim], 'normal');
  }

  /** ids (int32, any shape) -> ids.shape x embeddingDim. */
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.gather(this.weight.read(), tf.cast(ids, 'int32')));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim };
  }
}
registerLayer(Embedding);
