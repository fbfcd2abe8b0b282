import * as tf from '@tensorflow/tfjs-core';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';
import { linearProduct } from './linear-product.js';

export interface LinearArgs extends TitokLayerArgs {
  inFeatures: number;
  outFeatures: number;
  /** Whether there is a `bias` (default true). */
  bias?: boolean;
}

/**
 * PyTorch `nn.Linear` on the last axis: y = x Wᵀ + b. Weights: `weight` (out x in, PyTorch's
 * layout), `bias` (out).
 */
export class Linear extends TitokLayer {
  static className = 'TitokLinear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly hasBias: boolean;
  protected readonly weight;
  protected readonly bias;

  constructor(args: LinearArgs) {
    super(args);
    this.inFeatures = args.inFeatures;
    this.outFeatures = args.outFeatures;
    this.hasBias = args.bias ?? true;
    this.weight = this.param('weight', [this.outFeatures, this.inFeatures], 'glorot', this.inFeatures);
    this.bias = this.hasBias ? this.param('bias', [this.outFeatures], 'zeros') : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
      const y = linearProduct(x2, this.weight.read() as tf.Tensor2D, this.bias?.read());
      return tf.reshape(y, [...lead, this.outFeatures]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.hasBias };
  }
}
registerLayer(Linear);
