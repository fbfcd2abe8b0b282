import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, LayerNorm, Linear, ResidualAttentionBlock, TitokLayer, Tracer, registerLayer } from '@titok/core';
import type { TitokLayerArgs, TransformerDims } from '@titok/core';
import { ProxyCodeHead } from './proxy-code-head.js';
import { RgbPatchHead } from './rgb-patch-head.js';

export interface TitokDecoderArgs extends TitokLayerArgs {
  imageSize: number;
  /** Decoder patch size p; the query grid is imageSize / p on each side. */
  patchSize: number;
  numLatentTokens: number;
  /** Channels per token C. */
  tokenSize: number;
  dims: TransformerDims;
  /** Legacy models end in proxy-code logits, the others in RGB pixels. */
  isLegacy: boolean;
  /** Legacy only: the number of proxy codes (1024). */
  numProxyCodes?: number;
}

/**
 * TiTok's ViT decoder (`decoder.*`): latent tokens (N x L x C) are embedded to the width D,
 * joined after g² mask-token queries and a class token, run through the transformer, and the
 * g x g query outputs are turned by the head into proxy-code logits (legacy; N x g x g x 1024)
 * or pixels (N x H x W x 3, after the 3x3 `conv_out`).
 */
export class TitokDecoder extends TitokLayer {
  static className = 'TitokDecoder';
  readonly args: Omit<TitokDecoderArgs, keyof TitokLayerArgs>;
  readonly gridSize: number;
  private readonly classEmbedding;
  private readonly positionalEmbedding;
  private readonly maskToken;
  private readonly latentTokenPositionalEmbedding;
  readonly decoderEmbed: Linear;
  readonly lnPre: LayerNorm;
  readonly transformer: ResidualAttentionBlock[];
  readonly lnPost: LayerNorm;
  readonly ffn: ProxyCodeHead | RgbPatchHead;
  readonly convOut?: Conv2d;

  constructor(args: TitokDecoderArgs) {
    super(args);
    const { imageSize, patchSize, numLatentTokens, tokenSize, dims, isLegacy } = args;
    const numProxyCodes = args.numProxyCodes ?? 1024;
    this.args = { imageSize, patchSize, numLatentTokens, tokenSize, dims: { ...dims }, isLegacy, numProxyCodes };
    this.gridSize = Math.floor(imageSize / patchSize);
    const d = dims.width;
    this.classEmbedding = this.param('class_embedding', [1, d], 'glorot', d);
    this.positionalEmbedding = this.param('positional_embedding', [this.gridSize ** 2 + 1, d], 'glorot', d);
    this.maskToken = this.param('mask_token', [1, 1, d], 'glorot', d);
    this.latentTokenPositionalEmbedding = this.param('latent_token_positional_embedding', [numLatentTokens, d], 'glorot', d);
    this.decoderEmbed = this.child('decoder_embed', new Linear({ inFeatures: tokenSize, outFeatures: d }));
    this.lnPre = this.child('ln_pre', new LayerNorm({ dim: d }));
    this.transformer = this.children(
      'transformer',
      Array.from({ length: dims.numLayers }, () => new ResidualAttentionBlock({ width: d, numHeads: dims.numHeads, mlpRatio: dims.mlpRatio })),
    );
    this.lnPost = this.child('ln_post', new LayerNorm({ dim: d }));
    if (isLegacy) {
      this.ffn = this.child('ffn', new ProxyCodeHead({ width: d, numCodes: numProxyCodes }));
    } else {
      this.ffn = this.child('ffn', new RgbPatchHead({ width: d, patchSize }));
      this.convOut = this.child('conv_out', new Conv2d({ inChannels: 3, outChannels: 3, kernelSize: 3, padding: 1 }));
    }
  }

  /**
   * Decodes N x L x C tokens. Records `in`, `decoder_embed.out`, `ln_pre.in`/`.out`,
   * `transformer.{i}.*`, `ln_post.in`/`.out`, the head's intermediates (`ffn.*`), `conv_out.out`
   * (direct RGB) and `out`.
   */
  run(tokens: tf.Tensor3D, trace: Tracer = Tracer.none): tf.Tensor4D {
    return tf.tidy(() => {
      trace.record('in', tokens);
      const [n, l] = tokens.shape;
      const d = this.args.dims.width;
      const g = this.gridSize;
      const latents = trace.record('decoder_embed.out', this.decoderEmbed.forward(tokens));
      const latentPos = tf.slice(this.latentTokenPositionalEmbedding.read(), [0, 0], [l, d]);
      const cls = tf.reshape(this.classEmbedding.read(), [1, 1, d]);
      const masks = tf.broadcastTo(this.maskToken.read(), [1, g * g, d]);
      const queries = tf.add(tf.concat([cls, masks], 1), this.positionalEmbedding.read());
      let x: tf.Tensor = trace.record('ln_pre.in', tf.concat([tf.broadcastTo(queries, [n, g * g + 1, d]), tf.add(latents, latentPos)], 1));
      x = trace.record('ln_pre.out', this.lnPre.forward(x));
      this.transformer.forEach((block, i) => {
        x = block.run(x, trace.scope(`transformer.${i}`));
      });
      const grid = trace.record('ln_post.out', this.lnPost.forward(trace.record('ln_post.in', tf.slice(x, [0, 1, 0], [n, g * g, d]))));
      const map = tf.reshape(grid, [n, g, g, d]) as tf.Tensor4D;
      const ffnTrace = trace.scope('ffn');
      if (this.ffn instanceof ProxyCodeHead) return trace.record('out', this.ffn.run(map, ffnTrace));
      const pixels = trace.record('ffn.out', this.ffn.run(map, ffnTrace));
      return trace.record('out', trace.record('conv_out.out', this.convOut!.forward(pixels) as tf.Tensor4D));
    });
  }

  forward(tokens: tf.Tensor): tf.Tensor {
    return this.run(tokens as tf.Tensor3D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.args as unknown as tf.serialization.ConfigDict) };
  }
}
registerLayer(TitokDecoder);
