/**
 * The U-ViT block of the TiTok-S-128 generator (`in_blocks.{i}`, `mid_block`, `out_blocks.{i}`):
 * pre-norm, attention with a bias-free packed `attn.qkv` whose output columns are ordered
 * (q|k|v, head, dim), `attn.proj`, MLP `mlp.fc1` -> GELU -> `mlp.fc2`; out-blocks first apply
 * `skip_linear` to [x, skip] concatenated on the feature axis. LayerNorm eps 1e-5.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, TitokLayer, gelu, packedAttention, registerLayer } from '@titok/core';
import type { Tap } from './generator-network.js';

export interface UVitDims {
  hidden: number;
  heads: number;
  mlp: number;
}

/** `attn`: packed q|k|v projection without bias, heads split contiguously, then `proj`. */
export class UVitAttention extends TitokLayer {
  static className = 'TitokUVitAttention';
  readonly qkv: Linear;
  readonly proj: Linear;

  constructor(readonly dims: UVitDims) {
    super();
    this.qkv = this.child('qkv', new Linear({ inFeatures: dims.hidden, outFeatures: 3 * dims.hidden, bias: false }));
    this.proj = this.child('proj', new Linear({ inFeatures: dims.hidden, outFeatures: dims.hidden }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // q | k | v, heads contiguous in each: the packed layout packedAttention takes
      return this.proj.forward(packedAttention(this.qkv.forward(x) as tf.Tensor3D, this.dims.heads));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims };
  }
}
registerLayer(UVitAttention);

/** `mlp`: fc1 -> GELU -> fc2. */
export class UVitMlp extends TitokLayer {
  static className = 'TitokUVitMlp';
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(readonly dims: UVitDims) {
    super();
    this.fc1 = this.child('fc1', new Linear({ inFeatures: dims.hidden, outFeatures: dims.mlp }));
    this.fc2 = this.child('fc2', new Linear({ inFeatures: dims.mlp, outFeatures: dims.hidden }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(gelu(this.fc1.forward(x))));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims };
  }
}
registerLayer(UVitMlp);

/** One U-ViT block; `skip` adds the `skip_linear` of out-blocks. */
export class UVitBlock extends TitokLayer {
  static className = 'TitokUVitBlock';
  readonly skipLinear?: Linear;
  readonly norm1: LayerNorm;
  readonly attn: UVitAttention;
  readonly norm2: LayerNorm;
  readonly mlp: UVitMlp;

  constructor(readonly dims: UVitDims, readonly skip = false) {
    super();
    this.norm1 = this.child('norm1', new LayerNorm({ dim: dims.hidden }));
    this.attn = this.child('attn', new UVitAttention(dims));
    this.norm2 = this.child('norm2', new LayerNorm({ dim: dims.hidden }));
    this.mlp = this.child('mlp', new UVitMlp(dims));
    if (skip) this.skipLinear = this.child('skip_linear', new Linear({ inFeatures: 2 * dims.hidden, outFeatures: dims.hidden }));
  }

  forward(x: tf.Tensor, skip?: tf.Tensor): tf.Tensor {
    return this.run(x, skip);
  }

  /** {@link forward} with a tap; `name` prefixes the tap names (`out_blocks.0.`). */
  run(x: tf.Tensor, skip?: tf.Tensor, tap?: Tap, name = ''): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      if (this.skipLinear) {
        if (!skip) throw new Error(`${name || 'UVitBlock'}: an out-block needs its skip input`);
        h = this.skipLinear.forward(tf.concat([h, skip], -1));
        tap?.(`${name}skip_linear.out`, h);
      }
      const a = this.attn.forward(this.norm1.forward(h));
      tap?.(`${name}attn.out`, a);
      h = tf.add(h, a);
      return tf.add(h, this.mlp.forward(this.norm2.forward(h)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.dims, skip: this.skip };
  }
}
registerLayer(UVitBlock);
