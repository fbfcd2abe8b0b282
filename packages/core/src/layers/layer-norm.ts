import * as tf from '@tensorflow/tfjs-core';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';
import { runFastKernel } from '../kernels/fast-kernels.js';
import { LAYER_NORM_KERNEL } from '../kernels/wasm-elementwise.js';

export interface LayerNormArgs extends TitokLayerArgs {
  /** Normalised (last) dimension. */
  dim: number;
  /** 1e-5 in TiTok and U-ViT, 1e-12 in BERT. */
  eps?: number;
}

/**
 * PyTorch `nn.LayerNorm` over the last axis: (x - mean) / sqrt(var + eps) * weight + bias,
 * with the biased variance. Weights: `weight`, `bias` (dim). On tfjs-backend-wasm (inference)
 * it is one SIMD kernel (two passes over each row).
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
    const fast = runFastKernel(LAYER_NORM_KERNEL, { x, gamma: this.weight.read(), beta: this.bias.read() }, { eps: this.eps });
    if (fast) return fast;
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
