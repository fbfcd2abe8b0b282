import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from './conv2d.js';
import { registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';
import { matMulWeight } from './linear-product.js';

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
 * N x H x W x C images become N x g² x D tokens. Computed as one matrix product of the
 * non-overlapping patches (a reshape and a transpose) with the kernel: tfjs' strided
 * convolutions are several times slower.
 */
export class PatchEmbed extends Conv2d {
  static override className = 'TitokPatchEmbed';

  constructor(args: PatchEmbedArgs) {
    super({ name: args.name, trainable: args.trainable, inChannels: args.inChannels, outChannels: args.width, kernelSize: args.patchSize, stride: args.patchSize, padding: 'valid' });
  }

  /** The patch features as a feature map, N x g x g x D. */
  grid(x: tf.Tensor): tf.Tensor4D {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const p = this.kernelSize;
    if (x.rank !== 4 || h % p !== 0 || w % p !== 0 || c !== this.inChannels) return super.forward(x) as tf.Tensor4D;
    return tf.tidy(() => {
      const gh = h / p;
      const gw = w / p;
      // (n·gh, p1, gw, p2·c) -> (n·gh, gw, p1, p2·c): rows are patches in (p1, p2, c) order, the
      // order of the kh x kw x in x out kernel's first three axes
      const rows = tf.transpose(tf.reshape(x, [n * gh, p, gw, p * c]), [0, 2, 1, 3]);
      const patches = tf.reshape(rows, [n * gh * gw, p * p * c]) as tf.Tensor2D;
      const kernel = tf.reshape(this.weight.read(), [p * p * c, this.outChannels]) as tf.Tensor2D;
      const y = matMulWeight(patches, kernel, this.bias?.read());
      return tf.reshape(y, [n, gh, gw, this.outChannels]) as tf.Tensor4D;
    });
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
