import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, GroupNorm, ResnetBlock, TitokLayer, Tracer, registerLayer, silu } from '@titok/core';
import type { TitokLayerArgs, VqganConvConfig } from '@titok/core';
import { VqganDownBlock } from './vqgan-down-block.js';

export interface VqganEncoderArgs extends TitokLayerArgs {
  config: VqganConvConfig;
}

/**
 * The MaskGIT-VQGAN encoder (`encoder.*`): `conv_in` (3x3, no bias), levels `down.{i}` with
 * average pooling after all but the last, `mid.{j}` residual blocks, `norm_out`, SiLU and the
 * 1x1 `conv_out` to the latent channels. N x H x W x 3 images to an N x h x w x z map.
 */
export class VqganEncoder extends TitokLayer {
  static className = 'TitokVqganEncoder';
  readonly config: VqganConvConfig;
  readonly convIn: Conv2d;
  readonly down: VqganDownBlock[];
  readonly mid: ResnetBlock[];
  readonly normOut: GroupNorm;
  readonly convOut: Conv2d;

  constructor(args: VqganEncoderArgs) {
    super(args);
    const c = (this.config = { ...args.config, channelMult: [...args.config.channelMult] });
    const hidden = c.hiddenChannels;
    const levels = c.channelMult.length;
    const inMult = [1, ...c.channelMult];
    this.convIn = this.child('conv_in', new Conv2d({ inChannels: c.numChannels, outChannels: hidden, kernelSize: 3, padding: 'same', bias: false }));
    this.down = this.children(
      'down',
      c.channelMult.map(
        (m, i) =>
          new VqganDownBlock({ inChannels: hidden * inMult[i]!, outChannels: hidden * m, numResBlocks: c.numResBlocks, downsample: i !== levels - 1 }),
      ),
    );
    const midChannels = hidden * c.channelMult[levels - 1]!;
    this.mid = this.children(
      'mid',
      Array.from({ length: c.numResBlocks }, () => new ResnetBlock({ inChannels: midChannels, outChannels: midChannels })),
    );
    this.normOut = this.child('norm_out', new GroupNorm({ numChannels: midChannels }));
    this.convOut = this.child('conv_out', new Conv2d({ inChannels: midChannels, outChannels: c.zChannels, kernelSize: 1 }));
  }

  /** Records `conv_in.out`, `down.{i}.*`, `mid.{j}.out`, `norm_out.out`, `conv_out.out` and `out`. */
  run(images: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => {
      let h = trace.record('conv_in.out', this.convIn.forward(images) as tf.Tensor4D);
      this.down.forEach((block, i) => {
        h = trace.record(`down.${i}.out`, block.run(h, trace.scope(`down.${i}`)));
      });
      this.mid.forEach((block, j) => {
        h = trace.record(`mid.${j}.out`, block.forward(h) as tf.Tensor4D);
      });
      const normed = trace.record('norm_out.out', this.normOut.forward(h));
      return trace.record('out', trace.record('conv_out.out', this.convOut.forward(silu(normed)) as tf.Tensor4D));
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), config: this.config as unknown as tf.serialization.ConfigDict };
  }
}
registerLayer(VqganEncoder);
