import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from './conv2d.js';
import { registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';

export interface PatchEmbedArgs extends TitokLayerArgs {
  /** Image channels (3). */
  inChannels: number;
  /** Model width D. */
  width: number;
  /** Patch side p: kernel = stride = p. */
  patchSize: number;
}

/**
 * ViT patch embedding: a p x p convolution with stride p and bias (`weight` D x C x p x p in the
 * checkpoint), then the g x g grid flattened row-major (h, then w) to a sequence:
 * N x H x W x C images become N x g² x D tokens.
 */
export class PatchEmbed extends Conv2d {
  static override className = 'TitokPatchEmbed';

  constructor(args: PatchEmbedArgs) {
    super({ name: args.name, trainable: args.trainable, inChannels: args.inChannels, outChannels: args.width, kernelSize: args.patchSize, stride: args.patchSize, padding: 'valid' });
  }

  /** The patch features as a feature map, N x g x g x D. */
  grid(x: tf.Tensor): tf.Tensor4D {
    return super.forward(x) as tf.Tensor4D;
  }

  /** N x H x W x C images to N x g² x D tokens. */
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.grid(x);
      const [n, gh, gw, d] = y.shape;
      return tf.reshape(y, [n, gh * gw, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { inChannels, outChannels, kernelSize, stride: _s, padding: _p, bias: _b, ...base } = super.getConfig();
    return { ...base, inChannels, width: outChannels, patchSize: kernelSize };
  }
}
registerLayer(PatchEmbed);
