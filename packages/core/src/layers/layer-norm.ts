import * as tf from '@tensorflow/tfjs-core';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';

export interface LayerNormArgs extends TitokLayerArgs {
  /** Normalised (last) dimension. */
  dim: number;
  /** 1e-5 in TiTok and U-ViT, 1e-12 in BERT. */
  eps?: number;
}

/**
 * PyTorch `nn.LayerNorm` over the last axis: (x - mean) / sqrt(var + eps) * weight + bias,
 * with the biased variance. Weights: `weight`, `bias` (dim).
 */
export class LayerNorm extends TitokLayer {
  static className = 'TitokLayerNorm';
  readonly dim: number;
  readonly eps: number;
  private readonly weight;
  private readonly bias;

  constructor(args: LayerNormArgs) {
    super(args);
    this.dim = args.dim;
    this.eps = args.eps ?? 1e-5;
    this.weight = this.param('weight', [this.dim], 'ones');
    this.bias = this.param('bias', [this.dim], 'zeros');
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const axis = x.rank - 1;
      const { mean, variance } = tf.moments(x, axis, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normed, this.weight.read()), this.bias.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim, eps: this.eps };
  }
}
registerLayer(LayerNorm);
