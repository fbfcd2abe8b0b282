import * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from './conv2d.js';
import { GroupNorm } from './group-norm.js';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';

export interface ResnetBlockArgs extends TitokLayerArgs {
  inChannels: number;
  /** Default: `inChannels`. */
  outChannels?: number;
}

/**
 * MaskGIT-VQGAN's residual block on NHWC maps: `h = conv1(silu(norm1(x)))`,
 * `h = conv2(silu(norm2(h)))` (3x3 "same" convolutions without bias, GroupNorm with 32 groups
 * and eps 1e-6). When the widths differ the shortcut is `nin_shortcut` (1x1, out -> out, no
 * bias) applied to h, not to x, so the block returns `h + nin_shortcut(h)`; otherwise `h + x`.
 * That quirk is in the reference code the released weights were trained with.
 */
export class ResnetBlock extends TitokLayer {
  static className = 'TitokResnetBlock';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly ninShortcut?: Conv2d;

  constructor(args: ResnetBlockArgs) {
    super(args);
    this.inChannels = args.inChannels;
    this.outChannels = args.outChannels ?? args.inChannels;
    const out = this.outChannels;
    this.norm1 = this.child('norm1', new GroupNorm({ numChannels: this.inChannels }));
    this.conv1 = this.child('conv1', new Conv2d({ inChannels: this.inChannels, outChannels: out, kernelSize: 3, padding: 'same', bias: false }));
    this.norm2 = this.child('norm2', new GroupNorm({ numChannels: out }));
    this.conv2 = this.child('conv2', new Conv2d({ inChannels: out, outChannels: out, kernelSize: 3, padding: 'same', bias: false }));
    if (this.inChannels !== out) {
      this.ninShortcut = this.child('nin_shortcut', new Conv2d({ inChannels: out, outChannels: out, kernelSize: 1, bias: false }));
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // intermediates are freed as soon as they are used: at 256x256x128 each is 32 MB an image
      const a = this.norm1.forwardSilu(x);
      const h1 = this.conv1.forward(a);
      a.dispose();
      const b = this.norm2.forwardSilu(h1);
      h1.dispose();
      const h = this.conv2.forward(b);
      b.dispose();
      return tf.add(h, this.ninShortcut ? this.ninShortcut.forward(h) : x);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inChannels: this.inChannels, outChannels: this.outChannels };
  }
}
registerLayer(ResnetBlock);
