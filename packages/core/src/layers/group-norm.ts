import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors/index.js';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';
import { runFastKernel } from '../kernels/fast-kernels.js';
import { silu } from './silu.js';
import { GROUP_NORM_KERNEL } from '../kernels/wasm-group-norm.js';

export interface GroupNormArgs extends TitokLayerArgs {
  /** Channels C (the last axis). */
  numChannels: number;
  /** Groups of C / groups contiguous channels (default 32). */
  numGroups?: number;
  /** Default 1e-6, as in MaskGIT-VQGAN. */
  eps?: number;
}

/**
 * PyTorch `nn.GroupNorm` with an affine transform, on channels-last tensors (N x ... x C):
 * channels split into `numGroups` contiguous groups; each sample's group is normalised over its
 * spatial positions and channels with the biased variance, then scaled by `weight` and shifted
 * by `bias` (C each). On tfjs-backend-wasm (inference) it is one two-pass kernel.
 */
export class GroupNorm extends TitokLayer {
  static className = 'TitokGroupNorm';
  readonly numChannels: number;
  readonly numGroups: number;
  readonly eps: number;
  private readonly weight;
  private readonly bias;

  constructor(args: GroupNormArgs) {
    super(args);
    this.numChannels = args.numChannels;
    this.numGroups = args.numGroups ?? 32;
    this.eps = args.eps ?? 1e-6;
    if (this.numChannels % this.numGroups !== 0) {
      throw new ConfigError(`GroupNorm: ${this.numChannels} channels cannot be split into ${this.numGroups} groups`);
    }
    this.weight = this.param('weight', [this.numChannels], 'ones');
    this.bias = this.param('bias', [this.numChannels], 'zeros');
  }

  /** GroupNorm then SiLU, as MaskGIT-VQGAN's residual blocks apply them (one fused kernel on wasm). */
  forwardSilu(x: tf.Tensor): tf.Tensor {
    const fast = runFastKernel(GROUP_NORM_KERNEL, { x, gamma: this.weight.read(), beta: this.bias.read() }, { numGroups: this.numGroups, eps: this.eps, silu: true });
    if (fast) return fast;
    return tf.tidy(() => silu(this.forward(x)));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const fast = runFastKernel(GROUP_NORM_KERNEL, { x, gamma: this.weight.read(), beta: this.bias.read() }, { numGroups: this.numGroups, eps: this.eps, silu: false });
    if (fast) return fast;
    return tf.tidy(() => {
      const n = x.shape[0]!;
      const g = this.numGroups;
      const grouped = tf.reshape(x, [n, -1, g, this.numChannels / g]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(tf.reshape(normed, x.shape), this.weight.read()), this.bias.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numChannels: this.numChannels, numGroups: this.numGroups, eps: this.eps };
  }
}
registerLayer(GroupNorm);
