import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, GroupNorm, ResnetBlock, TitokLayer, Tracer, registerLayer, silu } from '@titok/core';
import type { TitokLayerArgs, VqganConvConfig } from '@titok/core';
import { VqganUpBlock } from './vqgan-up-block.js';

export interface VqganDecoderArgs extends TitokLayerArgs {
  config: VqganConvConfig;
}

/**
 * The MaskGIT-VQGAN decoder (`decoder.*`, and `pixel_decoder.*` of the legacy TiTok models):
 * `conv_in` (3x3, bias) from the latent channels, `mid.{j}` residual blocks, the levels
 * `up.{i}` run from the highest index down to 0 (each but level 0 ends in x2 upsampling),
 * `norm_out`, SiLU and the 3x3 `conv_out` to RGB. N x h x w x z to N x H x W x 3 (not clamped).
 */
export class VqganDecoder extends TitokLayer {
  static className = 'TitokVqganDecoder';
  readonly config: VqganConvConfig;
  readonly convIn: Conv2d;
  readonly mid: ResnetBlock[];
  readonly up: VqganUpBlock[];
  readonly normOut: GroupNorm;
  readonly convOut: Conv2d;

  constructor(args: VqganDecoderArgs) {
    super(args);
    const c = (this.config = { ...args.config, channelMult: [...args.config.channelMult] });
    const hidden = c.hiddenChannels;
    const levels = c.channelMult.length;
    const blockIn = hidden * c.channelMult[levels - 1]!;
    this.convIn = this.child('conv_in', new Conv2d({ inChannels: c.zChannels, outChannels: blockIn, kernelSize: 3, padding: 'same' }));
    this.mid = this.children(
      'mid',
      Array.from({ length: c.numResBlocks }, () => new ResnetBlock({ inChannels: blockIn, outChannels: blockIn })),
    );
    this.up = this.children(
      'up',
      c.channelMult.map(
        (m, i) =>
          new VqganUpBlock({
            inChannels: hidden * (i === levels - 1 ? c.channelMult[levels - 1]! : c.channelMult[i + 1]!),
            outChannels: hidden * m,
            numResBlocks: c.numResBlocks,
            upsample: i !== 0,
          }),
      ),
    );
    const blockOut = hidden * c.channelMult[0]!;
    this.normOut = this.child('norm_out', new GroupNorm({ numChannels: blockOut }));
    this.convOut = this.child('conv_out', new Conv2d({ inChannels: blockOut, outChannels: c.numChannels, kernelSize: 3, padding: 'same' }));
  }

  /** Records `conv_in.out`, `mid.{j}.out`, `up.{i}.*`, `norm_out.out`, `conv_out.out` and `out`. */
  run(z: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => {
      // each map is freed once the next exists (trace hooks read or copy during their call)
      let h = trace.record('conv_in.out', this.convIn.forward(z) as tf.Tensor4D);
      const step = (next: tf.Tensor4D) => {
        if (next !== h) h.dispose();
        h = next;
      };
      this.mid.forEach((block, j) => step(trace.record(`mid.${j}.out`, block.forward(h) as tf.Tensor4D)));
      for (let i = this.up.length - 1; i >= 0; i--) step(trace.record(`up.${i}.out`, this.up[i]!.run(h, trace.scope(`up.${i}`))));
      // one fused GroupNorm+SiLU pass over the largest map, unless a hook wants norm_out alone
      let act: tf.Tensor;
      if (trace.enabled) {
        const normed = trace.record('norm_out.out', this.normOut.forward(h));
        act = silu(normed);
        normed.dispose();
      } else {
        act = this.normOut.forwardSilu(h);
      }
      h.dispose();
      return trace.record('out', trace.record('conv_out.out', this.convOut.forward(act) as tf.Tensor4D));
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), config: this.config as unknown as tf.serialization.ConfigDict };
  }
}
registerLayer(VqganDecoder);
