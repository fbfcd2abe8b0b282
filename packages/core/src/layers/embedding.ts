import * as tf from '@tensorflow/tfjs-core';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { ParamInit, TitokLayerArgs } from './titok-layer.js';

export interface EmbeddingArgs extends TitokLayerArgs {
  numEmbeddings: number;
  embeddingDim: number;
  /** Initialiser of a freshly built table (default 'glorot': N(0, 1); BERT-style tables use 'normal': N(0, 0.02)). */
  init?: ParamInit;
}

/** PyTorch `nn.Embedding`: a `weight` table of numEmbeddings x embeddingDim rows. */
export class Embedding extends TitokLayer {
  static className = 'TitokEmbedding';
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The `weight` table (numEmbeddings x embeddingDim). */
  readonly weight;

  constructor(args: EmbeddingArgs) {
    super(args);
    this.numEmbeddings = args.numEmbeddings;
    this.embeddingDim = args.embeddingDim;
    this.weight = this.param('weight', [this.numEmbeddings, this.embeddingDim], args.init ?? 'glorot', 1);
  }

  /** The table, numEmbeddings x embeddingDim (the variable itself: do not dispose it). */
  table(): tf.Tensor2D {
    return this.weight.read() as tf.Tensor2D;
  }

  /** Rows for integer ids of any shape: ids.shape + [embeddingDim]. */
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.gather(this.weight.read(), tf.cast(ids, 'int32')));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim };
  }
}
registerLayer(Embedding);
