import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DiagonalGaussian, TitokLayer, Tracer, VectorQuantizer, registerLayer } from '@titok/core';
import type { Quantized, TitokConfig, TitokLayerArgs } from '@titok/core';
import { VqganDecoder } from '../maskgit-vqgan/vqgan-decoder.js';
import { TitokDecoder } from './titok-decoder.js';
import { TitokEncoder } from './titok-encoder.js';

/** Which half of a tokenizer to build: both, the encoder side (images to tokens) or the decoder side. */
export type TitokPart = 'all' | 'encoder' | 'decoder';

export interface TitokModelArgs extends TitokLayerArgs {
  config: TitokConfig;
  /** Default 'all'. */
  parts?: TitokPart;
}

const ENCODER_KEYS = ['latent_tokens', 'encoder.'];
const DECODER_KEYS = ['decoder.', 'pixel_quantize.', 'pixel_decoder.'];

function requirePart<T>(part: T | undefined, what: string, needs: TitokPart): T {
  if (!part) throw new ConfigError(`this tokenizer was loaded without its ${needs} (parts: '${needs === 'encoder' ? 'decoder' : 'encoder'}'): ${what} is unavailable`);
  return part;
}

/**
 * The TiTok network as one layer tree whose weights are named exactly as the reference's state
 * dict (`latent_tokens`, `encoder.*`, `decoder.*`, `quantize.*`, and for legacy models
 * `pixel_quantize.*`, `pixel_decoder.*`). This is the synchronous tensor-level API: images are
 * N x H x W x 3 float NHWC, tokens N x L (int32 ids) or N x L x C (continuous), images out
 * N x H x W x 3 float, not clamped. Call it inside `tf.tidy` (or dispose the results).
 */
export class TitokModel extends TitokLayer {
  static className = 'TitokModel';
  readonly config: TitokConfig;
  readonly parts: TitokPart;
  private readonly latentTokens;
  readonly encoder?: TitokEncoder;
  readonly decoder?: TitokDecoder;
  readonly quantizer?: VectorQuantizer;
  readonly pixelQuantizer?: VectorQuantizer;
  readonly pixelDecoder?: VqganDecoder;

  constructor(args: TitokModelArgs) {
    super(args);
    const c = (this.config = structuredClone(args.config));
    this.parts = args.parts ?? 'all';
    const enc = this.parts !== 'decoder';
    const dec = this.parts !== 'encoder';
    const L = c.numLatentTokens;
    if (c.isLegacy && (!c.pixelDecoder || !c.pixelQuantizer)) {
      throw new ConfigError('a legacy TiTok config needs pixelDecoder and pixelQuantizer settings');
    }
    if (c.isLegacy && c.pixelDecoder!.zChannels !== c.pixelQuantizer!.embeddingDim) {
      throw new ConfigError(
        `the pixel decoder's z_channels (${c.pixelDecoder!.zChannels}) must equal the pixel codebook's embedding_dim (${c.pixelQuantizer!.embeddingDim})`,
      );
    }
    if (enc) {
      this.latentTokens = this.param('latent_tokens', [L, c.encoder.width], 'glorot', c.encoder.width);
      this.encoder = this.child(
        'encoder',
        new TitokEncoder({
          imageSize: c.imageSize,
          patchSize: c.patchSize,
          numLatentTokens: L,
          outChannels: c.quantizeMode === 'vae' ? 2 * c.tokenSize : c.tokenSize,
          dims: c.encoder,
          isLegacy: c.isLegacy,
        }),
      );
    }
    if (dec) {
      this.decoder = this.child(
        'decoder',
        new TitokDecoder({
          imageSize: c.imageSize,
          patchSize: c.decoderPatchSize,
          numLatentTokens: L,
          tokenSize: c.tokenSize,
          dims: c.decoder,
          isLegacy: c.isLegacy,
          numProxyCodes: c.pixelQuantizer?.numEmbeddings,
        }),
      );
    }
    if (c.quantizeMode === 'vq') {
      this.quantizer = this.child('quantize', new VectorQuantizer({ codebookSize: c.codebookSize, tokenSize: c.tokenSize, useL2Norm: c.useL2Norm }));
    }
    if (dec && c.isLegacy) {
      const pq = c.pixelQuantizer!;
      this.pixelQuantizer = this.child('pixel_quantize', new VectorQuantizer({ codebookSize: pq.numEmbeddings, tokenSize: pq.embeddingDim }));
      this.pixelDecoder = this.child('pixel_decoder', new VqganDecoder({ config: c.pixelDecoder! }));
    }
  }

  /**
   * For strict loading of a part: true for the checkpoint keys of the part that was not built
   * (they are expected in a full checkpoint and ignored).
   */
  isOtherPartKey(key: string): boolean {
    if (this.parts === 'all') return false;
    return TitokModel.inPart(this.parts === 'encoder' ? 'decoder' : 'encoder', key);
  }

  /** Whether a state-dict key belongs to the encoder half or the decoder half (the quantizer is in neither). */
  static inPart(part: Exclude<TitokPart, 'all'>, key: string): boolean {
    return (part === 'encoder' ? ENCODER_KEYS : DECODER_KEYS).some((p) => key === p || (p.endsWith('.') && key.startsWith(p)));
  }

  /** N x H x W x 3 images to the encoder output N x L x C (2C for VAE); records `encoder.*`. */
  encodeLatents(images: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor3D {
    const encoder = requirePart(this.encoder, 'encoding', 'encoder');
    return encoder.run(images, this.latentTokens!.read() as tf.Tensor2D, trace.scope('encoder'));
  }

  /** VQ: quantises encoder output N x L x C; records `quantize.*`. */
  quantize(latents: tf.Tensor3D, trace: Tracer = Tracer.none): Quantized {
    return this.vq().quantize(latents, trace.scope('quantize'));
  }

  /** VAE: the posterior of encoder output N x L x 2C; records `posterior.*`. */
  posterior(latents: tf.Tensor3D, trace: Tracer = Tracer.none): DiagonalGaussian {
    if (this.config.quantizeMode !== 'vae') throw new ConfigError('posterior() is for VAE tokenizers; this one is VQ');
    return new DiagonalGaussian(latents, trace.scope('posterior'));
  }

  /** VQ: images to token ids, int32 N x L. */
  encodeIds(images: tf.Tensor4D, trace: Tracer = Tracer.none): tf.Tensor2D {
    return tf.tidy(() => {
      const q = this.quantize(this.encodeLatents(images, trace), trace);
      return q.indices as tf.Tensor2D;
    });
  }

  /** VQ: token ids N x L to codebook rows N x L x C (normalised with l2-norm). */
  lookup(ids: tf.Tensor2D): tf.Tensor3D {
    return this.vq().lookup(ids) as tf.Tensor3D;
  }

  /**
   * Continuous tokens N x L x C (codebook rows, or VAE samples) to images N x H x W x 3, not
   * clamped. Records `decoder.*` and, for legacy models, `pixel_decoder.*`.
   */
  decodeLatents(tokens: tf.Tensor3D, trace: Tracer = Tracer.none): tf.Tensor4D {
    const decoder = requirePart(this.decoder, 'decoding', 'decoder');
    return tf.tidy(() => {
      const out = decoder.run(tokens, trace.scope('decoder'));
      if (!this.pixelDecoder) return out;
      // Legacy: softmax over the proxy codes mixes the rows of the pixel codebook.
      const [n, h, w, k] = out.shape;
      const probs = tf.softmax(tf.reshape(out, [n * h * w, k]) as tf.Tensor2D);
      const table = this.pixelQuantizer!.embedding.table();
      const mixed = tf.reshape(tf.matMul(probs, table), [n, h, w, table.shape[1]]) as tf.Tensor4D;
      const pd = trace.scope('pixel_decoder');
      return this.pixelDecoder.run(pd.record('in', mixed), pd);
    });
  }

  /** VQ: token ids N x L to images N x H x W x 3, not clamped. */
  decodeIds(ids: tf.Tensor2D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => this.decodeLatents(this.lookup(ids), trace));
  }

  /**
   * The reference's forward pass: encode, quantize (VQ: straight-through values; VAE: the
   * posterior mean, or mean + std·noise when `noise` is given), decode. Not clamped.
   */
  reconstruct(images: tf.Tensor4D, options: { noise?: tf.Tensor; trace?: Tracer } = {}): tf.Tensor4D {
    const trace = options.trace ?? Tracer.none;
    return tf.tidy(() => {
      const latents = this.encodeLatents(images, trace);
      if (this.config.quantizeMode === 'vq') return this.decodeLatents(this.quantize(latents, trace).quantized as tf.Tensor3D, trace);
      const posterior = this.posterior(latents, trace);
      try {
        const z = options.noise ? posterior.sample(options.noise) : posterior.mode();
        return this.decodeLatents(z as tf.Tensor3D, trace);
      } finally {
        posterior.dispose();
      }
    });
  }

  forward(images: tf.Tensor): tf.Tensor {
    return this.reconstruct(images as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), config: this.config as unknown as tf.serialization.ConfigDict, parts: this.parts };
  }

  private vq(): VectorQuantizer {
    if (!this.quantizer) throw new ConfigError('token ids are for VQ tokenizers; this one is a VAE (continuous tokens)');
    return this.quantizer;
  }
}
registerLayer(TitokModel);
