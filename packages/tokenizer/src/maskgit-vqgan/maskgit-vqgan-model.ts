import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, TitokLayer, Tracer, VectorQuantizer, registerLayer } from '@titok/core';
import type { MaskgitVqganConfig, Quantized, TitokLayerArgs } from '@titok/core';
import type { TitokPart } from '../titok/titok-model.js';
import { VqganDecoder } from './vqgan-decoder.js';
import { VqganEncoder } from './vqgan-encoder.js';

export interface MaskgitVqganModelArgs extends TitokLayerArgs {
  config: MaskgitVqganConfig;
  /** Default 'all'. */
  parts?: TitokPart;
}

/**
 * The 2D MaskGIT-VQGAN tokenizer (the reference's `PretrainedTokenizer`) as one layer tree
 * named like its state dict (`encoder.*`, `decoder.*`, `quantize.embedding.weight`).
 * Synchronous tensor-level API: images N x H x W x 3 float, token ids N x (h·w) int32
 * (row-major grid), images out not clamped. Call it inside `tf.tidy`.
 */
export class MaskgitVqganModel extends TitokLayer {
  static className = 'TitokMaskgitVqganModel';
  readonly config: MaskgitVqganConfig;
  readonly parts: TitokPart;
  readonly encoder?: VqganEncoder;
  readonly decoder?: VqganDecoder;
  readonly quantizer: VectorQuantizer;
  /** Side of the latent grid: resolution / 2^(levels - 1). */
  readonly gridSize: number;

  constructor(args: MaskgitVqganModelArgs) {
    super(args);
    const c = (this.config = structuredClone(args.config));
    this.parts = args.parts ?? 'all';
    if (c.codebook.embeddingDim !== c.conv.zChannels) {
      throw new ConfigError(`the codebook's embedding_dim (${c.codebook.embeddingDim}) must equal z_channels (${c.conv.zChannels})`);
    }
    this.gridSize = Math.floor(c.conv.resolution / 2 ** (c.conv.channelMult.length - 1));
    if (this.parts !== 'decoder') this.encoder = this.child('encoder', new VqganEncoder({ config: c.conv }));
    if (this.parts !== 'encoder') this.decoder = this.child('decoder', new VqganDecoder({ config: c.conv }));
    this.quantizer = this.child(
      'quantize',
      new VectorQuantizer({ codebookSize: c.codebook.numEmbeddings, tokenSize: c.codebook.embeddingDim, straightThrough: false }),
    );
  }

  /** Tokens per image, h·w. */
  get numTokens(): number {
    return this.gridSize ** 2;
  }

  /** For strict loading of a part: the other part's keys. */
  isOtherPartKey(key: string): boolean {
    if (this.parts === 'encoder') return key.startsWith('decoder.');
    if (this.parts === 'decoder') return key.startsWith('encoder.');
    return false;
  }

  /** Images to the latent map N x h x w x z; records `encoder.*`. */
  encodeLatents(images: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    if (!this.encoder) throw new ConfigError("this MaskGIT-VQGAN was loaded with parts: 'decoder': encoding is unavailable");
    return this.encoder.run(images, trace.scope('encoder'));
  }

  /** Quantises a latent map (plain squared distance); records `quantize.*`. */
  quantize(latents: tf.Tensor4D, trace: Tracer = Tracer.none): Quantized {
    return this.quantizer.quantize(latents, trace.scope('quantize'));
  }

  /** Images to token ids, int32 N x (h·w), row-major. */
  encodeIds(images: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor2D {
    return tf.tidy(() => {
      const { indices } = this.quantize(this.encodeLatents(images, trace), trace);
      return tf.reshape(indices, [images.shape[0], -1]) as tf.Tensor2D;
    });
  }

  /** Token ids N x (h·w) to the codebook map N x h x w x z (the grid is square). */
  lookup(ids: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, t] = ids.shape;
      const side = Math.round(Math.sqrt(t));
      return tf.reshape(this.quantizer.lookup(ids), [n, side, side, this.config.codebook.embeddingDim]) as tf.Tensor4D;
    });
  }

  /** A latent map N x h x w x z to images N x H x W x 3, not clamped; records `decoder.*`. */
  decodeLatents(latents: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    if (!this.decoder) throw new ConfigError("this MaskGIT-VQGAN was loaded with parts: 'encoder': decoding is unavailable");
    return tf.tidy(() => {
      const t = trace.scope('decoder');
      return this.decoder!.run(t.record('in', latents), t);
    });
  }

  /** Token ids N x (h·w) to images, not clamped. */
  decodeIds(ids: tf.Tensor2D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => this.decodeLatents(this.lookup(ids), trace));
  }

  /** Encode, quantise, decode (not clamped). */
  reconstruct(images: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => this.decodeLatents(this.quantize(this.encodeLatents(images, trace), trace).quantized as tf.Tensor4D, trace));
  }

  forward(images: tf.Tensor): tf.Tensor {
    return this.reconstruct(images as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), config: this.config as unknown as tf.serialization.ConfigDict, parts: this.parts };
  }
}
registerLayer(MaskgitVqganModel);
