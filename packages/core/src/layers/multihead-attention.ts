import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors/index.js';
import { packedAttention } from './attention.js';
import { linearProduct } from './linear-product.js';
import { Linear } from './linear.js';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';

export interface MultiheadAttentionArgs extends TitokLayerArgs {
  /** Model width D. */
  width: number;
  numHeads: number;
}

/**
 * PyTorch `nn.MultiheadAttention` used as self-attention without a mask: `in_proj_weight`
 * (3D x D, rows q, then k, then v) and `in_proj_bias` (3D) project the input, heads split
 * each projection contiguously, scores are scaled by 1/sqrt(D/heads), and `out_proj`
 * (D x D + bias) mixes the heads. Input and output N x T x D.
 */
export class MultiheadAttention extends TitokLayer {
  static className = 'TitokMultiheadAttention';
  readonly width: number;
  readonly numHeads: number;
  private readonly inProjWeight;
  private readonly inProjBias;
  readonly outProj: Linear;

  constructor(args: MultiheadAttentionArgs) {
    super(args);
    this.width = args.width;
    this.numHeads = args.numHeads;
    if (this.width % this.numHeads !== 0) {
      throw new ConfigError(`MultiheadAttention: width ${this.width} is not divisible by ${this.numHeads} heads`);
    }
    this.inProjWeight = this.param('in_proj_weight', [3 * this.width, this.width], 'glorot', this.width);
    this.inProjBias = this.param('in_proj_bias', [3 * this.width], 'zeros');
    this.outProj = this.child('out_proj', new Linear({ inFeatures: this.width, outFeatures: this.width }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [n, t, d] = x.shape as [number, number, number];
      const qkv = linearProduct(tf.reshape(x, [n * t, d]) as tf.Tensor2D, this.inProjWeight.read() as tf.Tensor2D, this.inProjBias.read());
      return this.outProj.forward(packedAttention(tf.reshape(qkv, [n, t, 3 * d]) as tf.Tensor3D, this.numHeads));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), width: this.width, numHeads: this.numHeads };
  }
}
registerLayer(MultiheadAttention);
