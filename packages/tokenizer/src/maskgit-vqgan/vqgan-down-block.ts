import * as tf from '@tensorflow/tfjs-core';
import { ResnetBlock, TitokLayer, Tracer, registerLayer } from '@titok/core';
import type { TitokLayerArgs } from '@titok/core';

export interface VqganDownBlockArgs extends TitokLayerArgs {
  inChannels: number;
  outChannels: number;
  numResBlocks: number;
  /** 2x2 average pooling after the blocks (every level but the last). */
  downsample: boolean;
}

/**
 * One level of the MaskGIT-VQGAN encoder (`down.{i}`): residual blocks `block.{j}` (the first
 * maps in -> out, the others out -> out), then 2x2 average pooling unless it is the last level.
 */
export class VqganDownBlock extends TitokLayer {
  static className = 'TitokVqganDownBlock';
  readonly args: Omit<VqganDownBlockArgs, keyof TitokLayerArgs>;
  readonly block: ResnetBlock[];

  constructor(args: VqganDownBlockArgs) {
    super(args);
    const { inChannels, outChannels, numResBlocks, downsample } = args;
    this.args = { inChannels, outChannels, numResBlocks, downsample };
    this.block = this.children(
      'block',
      Array.from({ length: numResBlocks }, (_, j) => new ResnetBlock({ inChannels: j === 0 ? inChannels : outChannels, outChannels })),
    );
  }

  /** NHWC in, NHWC out; records `block.{j}.out`. */
  run(x: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => {
      let h: tf.Tensor4D = x;
      this.block.forEach((b, j) => {
        h = trace.record(`block.${j}.out`, b.forward(h) as tf.Tensor4D);
      });
      return this.args.downsample ? tf.avgPool(h, 2, 2, 'valid') : h;
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}
registerLayer(VqganDownBlock);
