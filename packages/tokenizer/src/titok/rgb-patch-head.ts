import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, TitokLayer, Tracer, depthToSpace, registerLayer } from '@titok/core';
import type { TitokLayerArgs } from '@titok/core';

export interface RgbPatchHeadArgs extends TitokLayerArgs {
  /** Decoder width D. */
  width: number;
  /** Decoder patch side p. */
  patchSize: number;
}

/**
 * The direct-RGB decoder head (`decoder.ffn`): `ffn.0` 1x1 conv D -> p·p·3, then
 * depth-to-space with channel order (p1, p2, c). N x g x g x D becomes N x gp x gp x 3.
 * (The decoder's 3x3 `conv_out` follows it.)
 */
export class RgbPatchHead extends TitokLayer {
  static className = 'TitokRgbPatchHead';
  readonly width: number;
  readonly patchSize: number;
  readonly fc: Conv2d;

  constructor(args: RgbPatchHeadArgs) {
    super(args);
    this.width = args.width;
    this.patchSize = args.patchSize;
    this.fc = this.child('0', new Conv2d({ inChannels: this.width, outChannels: this.patchSize ** 2 * 3, kernelSize: 1 }));
  }

  /** Records `0.out` (N x g x g x p·p·3) and returns the pixels. */
  run(x: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => depthToSpace(trace.record('0.out', this.fc.forward(x) as tf.Tensor4D), this.patchSize));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), width: this.width, patchSize: this.patchSize };
  }
}
registerLayer(RgbPatchHead);
