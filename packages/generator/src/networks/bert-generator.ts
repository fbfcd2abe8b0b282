import * as tf from '@tensorflow/tfjs-core';
import { Embedding, LayerNorm, Linear, TitokLayer, registerLayer } from '@titok/core';
import type { GeneratorConfig } from '@titok/core';
import { BERT_LN_EPS, BertLayer } from './bert-layer.js';
import type { BertDims } from './bert-layer.js';
import { GeneratorNetwork } from './generator-network.js';
import type { Tap } from './generator-network.js';
import { vocabSize } from './token-space.js';

/** The state-dict key of the position-ids buffer older transformers versions saved. */
export const BERT_POSITION_IDS_KEY = 'model.embeddings.position_ids';

/**
 * `model.embeddings`: LayerNorm(word[id] + token_type[0] + position[index]), positions 0..L.
 */
export class BertEmbeddings extends TitokLayer {
  static className = 'TitokBertEmbeddings';
  readonly wordEmbeddings: Embedding;
  readonly positionEmbeddings: Embedding;
  readonly tokenTypeEmbeddings: Embedding;
  readonly norm: LayerNorm;

  constructor(readonly vocab: number, readonly maxPositions: number, readonly hidden: number) {
    super();
    this.wordEmbeddings = this.child('word_embeddings', new Embedding({ numEmbeddings: vocab, embeddingDim: hidden, init: 'normal' }));
    this.positionEmbeddings = this.child('position_embeddings', new Embedding({ numEmbeddings: maxPositions, embeddingDim: hidden, init: 'normal' }));
    this.tokenTypeEmbeddings = this.child('token_type_embeddings', new Embedding({ numEmbeddings: 2, embeddingDim: hidden, init: 'normal' }));
    this.norm = this.child('LayerNorm', new LayerNorm({ dim: hidden, eps: BERT_LN_EPS }));
  }

  /** sequence B x T (int32) -> B x T x hidden. */
  forward(sequence: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const t = sequence.shape[1]!;
      const words = this.wordEmbeddings.forward(sequence);
      const tokenType = tf.slice(this.tokenTypeEmbeddings.weight.read(), [0, 0], [1, this.hidden]);
      const positions = tf.slice(this.positionEmbeddings.weight.read(), [0, 0], [t, this.hidden]);
      return this.norm.forward(tf.add(tf.add(words, tokenType), positions));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocab: this.vocab, maxPositions: this.maxPositions, hidden: this.hidden };
  }
}
registerLayer(BertEmbeddings);

/** `model.encoder`: the list `layer.{i}`. */
export class BertEncoder extends TitokLayer {
  static className = 'TitokBertEncoder';
  readonly layers: BertLayer[];

  constructor(readonly dims: BertDims, readonly numLayers: number) {
    super();
    this.layers = this.children('layer', Array.from({ length: numLayers }, () => new BertLayer(dims)));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x);
  }

  run(x: tf.Tensor, tap?: Tap): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      this.layers.forEach((layer, i) => {
        h = layer.run(h, tap, `layer.${i}.`);
        tap?.(`layer.${i}.out`, h);
      });
      return h;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims, numLayers: this.numLayers };
  }
}
registerLayer(BertEncoder);

/** `model`: the BertModel (no pooler) plus the `lm_head` the reference attaches to it. */
export class BertBody extends TitokLayer {
  static className = 'TitokBertBody';
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly lmHead: Linear;

  constructor(readonly config: GeneratorConfig) {
    super();
    const dims = { hidden: config.hiddenSize, heads: config.numAttentionHeads, intermediate: config.intermediateSize };
    this.embeddings = this.child('embeddings', new BertEmbeddings(vocabSize(config.codebookSize, config.numClasses), config.imageSeqLen + 1, config.hiddenSize));
    this.encoder = this.child('encoder', new BertEncoder(dims, config.numHiddenLayers));
    this.lmHead = this.child('lm_head', new Linear({ inFeatures: config.hiddenSize, outFeatures: config.codebookSize }));
  }

  forward(sequence: tf.Tensor): tf.Tensor {
    return this.run(sequence);
  }

  run(sequence: tf.Tensor, tap?: Tap): tf.Tensor {
    return tf.tidy(() => {
      const emb = this.embeddings.forward(sequence);
      tap?.('embeddings.out', emb);
      const h = this.encoder.run(emb, tap);
      const [b, t, d] = h.shape as [number, number, number];
      return this.lmHead.forward(tf.slice(h, [0, 1, 0], [b, t - 1, d]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), config: this.config as unknown as tf.serialization.ConfigDict };
  }
}
registerLayer(BertBody);

/**
 * The BERT generator of TiTok-L-32 and B-64 (`modeling.maskgit.ImageBert`): a Hugging Face
 * BertModel (post-norm, LayerNorm eps 1e-12) under `model.*`, with `model.lm_head`. Accepts
 * and ignores the `model.embeddings.position_ids` buffer that older checkpoints carry.
 */
export class BertGenerator extends GeneratorNetwork {
  static className = 'TitokBertGenerator';
  readonly model: BertBody;

  constructor(config: GeneratorConfig) {
    super(config);
    if (config.modelType !== 'ViT') throw new Error(`BertGenerator: model type ${config.modelType}`);
    this.model = this.child('model', new BertBody(config));
  }

  forwardSequence(sequence: tf.Tensor, tap?: Tap): tf.Tensor {
    return this.model.run(sequence, tap);
  }

  override ignoreKey(key: string): boolean {
    return key === BERT_POSITION_IDS_KEY;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), config: this.config as unknown as tf.serialization.ConfigDict };
  }
}
registerLayer(BertGenerator);
