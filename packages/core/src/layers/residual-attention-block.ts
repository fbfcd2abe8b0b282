import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm } from './layer-norm.js';
import { Mlp } from './mlp.js';
import { MultiheadAttention } from './multihead-attention.js';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';
import { Tracer } from './trace.js';

export interface ResidualAttentionBlockArgs extends TitokLayerArgs {
  /** Model width D. */
  width: number;
  numHeads: number;
  /** MLP width as a multiple of D (default 4). */
  mlpRatio?: number;
}

/**
 * The pre-norm transformer block of TiTok's encoder and decoder (open_clip's
 * `ResidualAttentionBlock`): `x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))`, with PyTorch
 * MultiheadAttention weights (`attn.in_proj_weight`, ...) and the `mlp.c_fc` / `mlp.c_proj`
 * MLP. LayerNorm eps 1e-5. Input and output N x T x D.
 */
export class ResidualAttentionBlock extends TitokLayer {
  static className = 'TitokResidualAttentionBlock';
  readonly width: number;
  readonly numHeads: number;
  readonly mlpRatio: number;
  readonly ln1: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: Mlp;

  constructor(args: ResidualAttentionBlockArgs) {
    super(args);
    this.width = args.width;
    this.numHeads = args.numHeads;
    this.mlpRatio = args.mlpRatio ?? 4;
    this.ln1 = this.child('ln_1', new LayerNorm({ dim: this.width }));
    this.attn = this.child('attn', new MultiheadAttention({ width: this.width, numHeads: this.numHeads }));
    this.ln2 = this.child('ln_2', new LayerNorm({ dim: this.width }));
    this.mlp = this.child('mlp', new Mlp({ width: this.width, hiddenWidth: Math.trunc(this.width * this.mlpRatio) }));
  }

  /** Runs the block, recording `attn.out`, `mlp.out` (before the residual sums) and `out`. */
  run(x: tf.Tensor, trace: Tracer = Tracer.none): tf.Tensor {
    return tf.tidy(() => {
      const a = trace.record('attn.out', this.attn.forward(this.ln1.forward(x)));
      const h = tf.add(x, a);
      const m = trace.record('mlp.out', this.mlp.forward(this.ln2.forward(h)));
      return trace.record('out', tf.add(h, m));
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.run(x);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), width: this.width, numHeads: this.numHeads, mlpRatio: this.mlpRatio };
  }
}
registerLayer(ResidualAttentionBlock);
