import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, TitokLayer, Tracer, registerLayer } from '@titok/core';
import type { TitokLayerArgs } from '@titok/core';

export interface ProxyCodeHeadArgs extends TitokLayerArgs {
  /** Decoder width D. */
  width: number;
  /** Number of proxy codes (1024: the MaskGIT-VQGAN codebook). */
  numCodes: number;
}

/**
 * The legacy decoder head (`decoder.ffn`): `ffn.0` 1x1 conv D -> 2D, tanh, `ffn.2` 1x1 conv
 * 2D -> codes. Turns the N x g x g x D decoder grid into logits over the MaskGIT-VQGAN codes.
 */
export class ProxyCodeHead extends TitokLayer {
  static className = 'TitokProxyCodeHead';
  readonly width: number;
  readonly numCodes: number;
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;

  constructor(args: ProxyCodeHeadArgs) {
    super(args);
    this.width = args.width;
    this.numCodes = args.numCodes;
    this.fc1 = this.child('0', new Conv2d({ inChannels: this.width, outChannels: 2 * this.width, kernelSize: 1 }));
    this.fc2 = this.child('2', new Conv2d({ inChannels: 2 * this.width, outChannels: this.numCodes, kernelSize: 1 }));
  }

  /** N x g x g x D to N x g x g x codes logits; records `0.out`, `1.out` (after tanh) and `2.out`. */
  run(x: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => {
      const h = trace.record('1.out', tf.tanh(trace.record('0.out', this.fc1.forward(x))));
      return trace.record('2.out', this.fc2.forward(h) as tf.Tensor4D);
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), width: this.width, numCodes: this.numCodes };
  }
}
registerLayer(ProxyCodeHead);
