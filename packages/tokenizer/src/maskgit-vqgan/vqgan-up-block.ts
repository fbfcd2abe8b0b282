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
      // each intermediate is freed once the next one exists (a trace hook reads or copies
      // what it keeps during its call): only two maps of a level are alive at a time
      let h: tf.Tensor4D = x;
      this.block.forEach((b, j) => {
        const next = trace.record(`block.${j}.out`, b.forward(h) as tf.Tensor4D);
        if (h !== x) h.dispose();
        h = next;
      });
      if (!this.upsampleConv) return h;
      const up = upsampleNearest(h, 2);
      if (h !== x) h.dispose();
      return this.upsampleConv.forward(up) as tf.Tensor4D;
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
