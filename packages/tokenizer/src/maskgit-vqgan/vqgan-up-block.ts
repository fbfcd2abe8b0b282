import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, ResnetBlock, TitokLayer, Tracer, registerLayer, upsampleNearest } from '@titok/core';
import type { TitokLayerArgs } from '@titok/core';

export interface VqganUpBlockArgs extends TitokLayerArgs {
  inChannels: number;
  outChannels: number;
  numResBlocks: number;
  /** Nearest x2 upsampling and `upsample_conv` after the blocks (every level but level 0). */
  upsample: boolean;
}

/**
 * One level of the MaskGIT-VQGAN decoder (`up.{i}`): residual blocks `block.{j}` (the first
 * maps in -> out), then, except at level 0, nearest-neighbour x2 upsampling and a 3x3 "same"
 * convolution `upsample_conv` with bias.
 */
export class VqganUpBlock extends TitokLayer {
  static className = 'TitokVqganUpBlock';
  readonly args: Omit<VqganUpBlockArgs, keyof TitokLayerArgs>;
  readonly block: ResnetBlock[];
  readonly upsampleConv?: Conv2d;

  constructor(args: VqganUpBlockArgs) {
    super(args);
    const { inChannels, outChannels, numResBlocks, upsample } = args;
    this.args = { inChannels, outChannels, numResBlocks, upsample };
    this.block = this.children(
      'block',
      Array.from({ length: numResBlocks }, (_, j) => new ResnetBlock({ inChannels: j === 0 ? inChannels : outChannels, outChannels })),
    );
    if (upsample) {
      this.upsampleConv = this.child('upsample_conv', new Conv2d({ inChannels: outChannels, outChannels, kernelSize: 3, padding: 'same' }));
    }
  }

  /** NHWC in, NHWC out; records `block.{j}.out`. */
  run(x: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => {
      let h: tf.Tensor4D = x;
      this.block.forEach((b, j) => {
        h = trace.record(`block.${j}.out`, b.forward(h) as tf.Tensor4D);
      });
      return this.upsampleConv ? (this.upsampleConv.forward(upsampleNearest(h, 2)) as tf.Tensor4D) : h;
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}
registerLayer(VqganUpBlock);
