import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, PatchEmbed, ResidualAttentionBlock, Conv2d, TitokLayer, Tracer, registerLayer } from '@titok/core';
import type { TitokLayerArgs, TransformerDims } from '@titok/core';

export interface TitokEncoderArgs extends TitokLayerArgs {
  imageSize: number;
  patchSize: number;
  numLatentTokens: number;
  /** Output channels per token: the token size, twice it for VAE models. */
  outChannels: number;
  dims: TransformerDims;
  /** Legacy models reshape (not transpose) the latent tokens before `conv_out`. */
  isLegacy: boolean;
}

/**
 * TiTok's ViT encoder (`encoder.*`): patch embedding, class token and positional embeddings,
 * the learned latent tokens appended with their own positional embedding, `ln_pre`, the
 * transformer blocks, `ln_post` on the latent positions and the 1x1 `conv_out` to the token
 * channels. Images are N x H x W x 3; the output is N x L x C (token-major).
 */
export class TitokEncoder extends TitokLayer {
  static className = 'TitokEncoder';
  readonly args: Omit<TitokEncoderArgs, keyof TitokLayerArgs>;
  readonly gridSize: number;
  private readonly classEmbedding;
  private readonly positionalEmbedding;
  private readonly latentTokenPositionalEmbedding;
  readonly patchEmbed: PatchEmbed;
  readonly lnPre: LayerNorm;
  readonly transformer: ResidualAttentionBlock[];
  readonly lnPost: LayerNorm;
  readonly convOut: Conv2d;

  constructor(args: TitokEncoderArgs) {
    super(args);
    const { imageSize, patchSize, numLatentTokens, outChannels, dims, isLegacy } = args;
    this.args = { imageSize, patchSize, numLatentTokens, outChannels, dims: { ...dims }, isLegacy };
    this.gridSize = Math.floor(imageSize / patchSize);
    const d = dims.width;
    this.classEmbedding = this.param('class_embedding', [1, d], 'glorot', d);
    this.positionalEmbedding = this.param('positional_embedding', [this.gridSize ** 2 + 1, d], 'glorot', d);
    this.latentTokenPositionalEmbedding = this.param('latent_token_positional_embedding', [numLatentTokens, d], 'glorot', d);
    this.patchEmbed = this.child('patch_embed', new PatchEmbed({ inChannels: 3, width: d, patchSize }));
    this.lnPre = this.child('ln_pre', new LayerNorm({ dim: d }));
    this.transformer = this.children(
      'transformer',
      Array.from({ length: dims.numLayers }, () => new ResidualAttentionBlock({ width: d, numHeads: dims.numHeads, mlpRatio: dims.mlpRatio })),
    );
    this.lnPost = this.child('ln_post', new LayerNorm({ dim: d }));
    this.convOut = this.child('conv_out', new Conv2d({ inChannels: d, outChannels, kernelSize: 1 }));
  }

  /**
   * Encodes N x H x W x 3 images with the model's `latent_tokens` (L x D) to N x L x C.
   * Records `patch_embed.out`, `ln_pre.in`/`.out`, `transformer.{i}.*`, `ln_post.in`/`.out`,
   * `conv_out.in`/`.out` and `out`.
   */
  run(images: tf.Tensor4D, latentTokens: tf.Tensor2D, trace: Tracer = Tracer.none): tf.Tensor3D {
    return tf.tidy(() => {
      const n = images.shape[0];
      const { numLatentTokens: l, dims, isLegacy } = this.args;
      const d = dims.width;
      const g2 = this.gridSize ** 2;
      const patches = trace.record('patch_embed.out', this.patchEmbed.grid(images));
      const cls = tf.broadcastTo(tf.reshape(this.classEmbedding.read(), [1, 1, d]), [n, 1, d]);
      const image = tf.add(tf.concat([cls, tf.reshape(patches, [n, g2, d])], 1), this.positionalEmbedding.read());
      const latents = tf.broadcastTo(tf.reshape(tf.add(latentTokens, this.latentTokenPositionalEmbedding.read()), [1, l, d]), [n, l, d]);
      let x: tf.Tensor = trace.record('ln_pre.in', tf.concat([image, latents], 1));
      x = trace.record('ln_pre.out', this.lnPre.forward(x));
      this.transformer.forEach((block, i) => {
        x = block.run(x, trace.scope(`transformer.${i}`));
      });
      const latentOut = tf.slice(x, [0, 1 + g2, 0], [n, l, d]);
      const post = trace.record('ln_post.out', this.lnPost.forward(trace.record('ln_post.in', latentOut)));
      // conv_out sees a fake N x D x L x 1 map; token l's input is its D-vector. Legacy models
      // build that map by a raw reshape of the contiguous N x L x D tensor, so token l's vector
      // is elements c·L + l of the flat block: reshape to N x D x L, then bring D last.
      const convIn = isLegacy ? tf.transpose(tf.reshape(post, [n, d, l]), [0, 2, 1]) : post;
      trace.record('conv_out.in', convIn);
      return trace.record('out', trace.record('conv_out.out', this.convOut.forward(convIn))) as tf.Tensor3D;
    });
  }

  forward(images: tf.Tensor, latentTokens: tf.Tensor): tf.Tensor {
    return this.run(images as tf.Tensor4D, latentTokens as tf.Tensor2D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.args as unknown as tf.serialization.ConfigDict) };
  }
}
registerLayer(TitokEncoder);
