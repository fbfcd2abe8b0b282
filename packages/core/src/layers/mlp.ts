import * as tf from '@tensorflow/tfjs-core';
import { gelu } from './gelu.js';
import { Linear } from './linear.js';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';

export interface MlpArgs extends TitokLayerArgs {
  /** Model width D. */
  width: number;
  /** Hidden width (4D in every TiTok model). */
  hiddenWidth: number;
}

/** The transformer block's MLP: `c_fc` (D -> hidden), exact GELU, `c_proj` (hidden -> D). */
export class Mlp extends TitokLayer {
  static className = 'TitokMlp';
  readonly width: number;
  readonly hiddenWidth: number;
  readonly cFc: Linear;
  readonly cProj: Linear;

  constructor(args: MlpArgs) {
    super(args);
    this.width = args.width;
    this.hiddenWidth = args.hiddenWidth;
    this.cFc = this.child('c_fc', new Linear({ inFeatures: this.width, outFeatures: this.hiddenWidth }));
    this.cProj = this.child('c_proj', new Linear({ inFeatures: this.hiddenWidth, outFeatures: this.width }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.cProj.forward(gelu(this.cFc.forward(x))));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), width: this.width, hiddenWidth: this.hiddenWidth };
  }
}
registerLayer(Mlp);
