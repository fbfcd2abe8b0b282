/**
 * The Hugging Face BertModel blocks the BERT generator uses, named after its state-dict keys
 * (`attention.self.query`, `attention.output.LayerNorm`, `intermediate.dense`, ...). Post-norm,
 * LayerNorm eps 1e-12, exact GELU, heads split contiguously, no attention mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, TitokLayer, gelu, multiHeadAttention, registerLayer } from '@titok/core';
import type { Tap } from './generator-network.js';

/** BERT's LayerNorm epsilon. */
export const BERT_LN_EPS = 1e-12;

export interface BertDims {
  hidden: number;
  heads: number;
  intermediate: number;
}

/** `attention.self`: separate query, key and value projections and the attention itself. */
export class BertSelfAttention extends TitokLayer {
  static className = 'TitokBertSelfAttention';
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;

  constructor(readonly dims: BertDims) {
    super();
    const lin = () => new Linear({ inFeatures: dims.hidden, outFeatures: dims.hidden });
    this.query = this.child('query', lin());
    this.key = this.child('key', lin());
    this.value = this.child('value', lin());
  }

  /** Context vectors (heads concatenated), before `attention.output.dense`. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => multiHeadAttention(this.query.forward(x), this.key.forward(x), this.value.forward(x), this.dims.heads));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims };
  }
}
registerLayer(BertSelfAttention);

/** `dense` then LayerNorm(dense(x) + residual): BERT's `attention.output` and `output`. */
export class BertResidualOutput extends TitokLayer {
  static className = 'TitokBertResidualOutput';
  readonly dense: Linear;
  readonly norm: LayerNorm;

  constructor(readonly inFeatures: number, readonly hidden: number) {
    super();
    this.dense = this.child('dense', new Linear({ inFeatures, outFeatures: hidden }));
    this.norm = this.child('LayerNorm', new LayerNorm({ dim: hidden, eps: BERT_LN_EPS }));
  }

  forward(x: tf.Tensor, residual: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.norm.forward(tf.add(this.dense.forward(x), residual)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inFeatures: this.inFeatures, hidden: this.hidden };
  }
}
registerLayer(BertResidualOutput);

/** `attention`: `self` then `output`. */
export class BertAttention extends TitokLayer {
  static className = 'TitokBertAttention';
  readonly selfAttention: BertSelfAttention;
  readonly selfOutput: BertResidualOutput;

  constructor(readonly dims: BertDims) {
    super();
    this.selfAttention = this.child('self', new BertSelfAttention(dims));
    this.selfOutput = this.child('output', new BertResidualOutput(dims.hidden, dims.hidden));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x);
  }

  /** {@link forward} with a tap; `name` prefixes the tap names (`layer.0.`). */
  run(x: tf.Tensor, tap?: Tap, name = ''): tf.Tensor {
    return tf.tidy(() => {
      const ctx = this.selfAttention.forward(x);
      tap?.(`${name}attention.self.out`, ctx);
      return this.selfOutput.forward(ctx, x);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims };
  }
}
registerLayer(BertAttention);

/** `intermediate`: GELU(dense(x)). */
export class BertIntermediate extends TitokLayer {
  static className = 'TitokBertIntermediate';
  readonly dense: Linear;

  constructor(readonly dims: BertDims) {
    super();
    this.dense = this.child('dense', new Linear({ inFeatures: dims.hidden, outFeatures: dims.intermediate }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => gelu(this.dense.forward(x)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims };
  }
}
registerLayer(BertIntermediate);

/**
 * `encoder.layer.{i}`: a = LN(x + dense(selfattn(x))); out = LN(a + output.dense(GELU(intermediate.dense(a)))).
 */
export class BertLayer extends TitokLayer {
  static className = 'TitokBertLayer';
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly layerOutput: BertResidualOutput;

  constructor(readonly dims: BertDims) {
    super();
    this.attention = this.child('attention', new BertAttention(dims));
    this.intermediate = this.child('intermediate', new BertIntermediate(dims));
    this.layerOutput = this.child('output', new BertResidualOutput(dims.intermediate, dims.hidden));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x);
  }

  /** {@link forward} with a tap; `name` prefixes the tap names (`layer.0.`). */
  run(x: tf.Tensor, tap?: Tap, name = ''): tf.Tensor {
    return tf.tidy(() => {
      const a = this.attention.run(x, tap, name);
      tap?.(`${name}attention.out`, a);
      const h = this.intermediate.forward(a);
      tap?.(`${name}intermediate.out`, h);
      return this.layerOutput.forward(h, a);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims };
  }
}
registerLayer(BertLayer);
