/**
 * Analytic FLOP counts of the models, per image: 2 FLOPs per multiply-add of every matrix
 * product and convolution the implementation performs (linear layers, attention scores and
 * context, patch embedding, 1x1 and 3x3 convolutions, the quantizer's distances, the proxy-code
 * mix); element-wise work (norms, activations, softmax) is not counted, as is usual.
 */
import { guidanceScaleAt } from './sampling-schedule.js';
import type { GeneratorConfig, TitokConfig, TransformerDims, VqganConvConfig } from './types.js';

/** What {@link tokenizerFlops} counts: the tokenizer's stages. */
export type TokenizerStage = 'encode' | 'decode' | 'reconstruct';

/** FLOPs of one pre-norm transformer block (attention and MLP) over `t` tokens. */
export function transformerBlockFlops(t: number, width: number, mlpWidth: number): number {
  const d = width;
  const projections = 2 * t * d * (3 * d) + 2 * t * d * d; // q|k|v in, output projection
  const attention = 2 * (2 * t * t * d); // scores and context, all heads together
  const mlp = 2 * (2 * t * d * mlpWidth);
  return projections + attention + mlp;
}

function stackFlops(t: number, dims: TransformerDims): number {
  return dims.numLayers * transformerBlockFlops(t, dims.width, Math.trunc(dims.width * dims.mlpRatio));
}

/** 2·H·W·kernel²·in·out. */
function convFlops(side: number, kernel: number, cin: number, cout: number): number {
  return 2 * side * side * kernel * kernel * cin * cout;
}

/**
 * FLOPs of the MaskGIT-VQGAN pixel decoder from a `grid` x `grid` latent map: `conv_in`, the
 * middle residual blocks, the up levels (residual blocks, then x2 upsampling and a 3x3
 * convolution on every level but 0) and `conv_out`.
 */
export function vqganDecoderFlops(c: VqganConvConfig, grid: number): number {
  const levels = c.channelMult.length;
  const res = (side: number, cin: number, cout: number) =>
    convFlops(side, 3, cin, cout) + convFlops(side, 3, cout, cout) + (cin !== cout ? convFlops(side, 1, cout, cout) : 0);
  const top = c.hiddenChannels * c.channelMult[levels - 1]!;
  let side = grid;
  let f = convFlops(side, 3, c.zChannels, top);
  for (let j = 0; j < c.numResBlocks; j++) f += res(side, top, top);
  for (let i = levels - 1; i >= 0; i--) {
    const cin = c.hiddenChannels * (i === levels - 1 ? c.channelMult[levels - 1]! : c.channelMult[i + 1]!);
    const cout = c.hiddenChannels * c.channelMult[i]!;
    for (let j = 0; j < c.numResBlocks; j++) f += res(side, j === 0 ? cin : cout, cout);
    if (i !== 0) {
      side *= 2;
      f += convFlops(side, 3, cout, cout);
    }
  }
  return f + convFlops(side, 3, c.hiddenChannels * c.channelMult[0]!, c.numChannels);
}

/** FLOPs of a TiTok tokenizer stage for one image. */
export function tokenizerFlops(c: TitokConfig, stage: TokenizerStage): number {
  const L = c.numLatentTokens;
  const C = c.tokenSize;
  const encode = () => {
    const g = Math.floor(c.imageSize / c.patchSize);
    const d = c.encoder.width;
    const outC = c.quantizeMode === 'vae' ? 2 * C : C;
    const patch = 2 * g * g * c.patchSize * c.patchSize * 3 * d;
    const quantize = c.quantizeMode === 'vq' ? 2 * L * c.codebookSize * C : 0;
    return patch + stackFlops(g * g + 1 + L, c.encoder) + 2 * L * d * outC + quantize;
  };
  const decode = () => {
    const g = Math.floor(c.imageSize / c.decoderPatchSize);
    const d = c.decoder.width;
    let f = 2 * L * C * d + stackFlops(g * g + 1 + L, c.decoder);
    if (c.isLegacy) {
      const codes = c.pixelQuantizer!.numEmbeddings;
      f += 2 * g * g * d * (2 * d) + 2 * g * g * (2 * d) * codes + 2 * g * g * codes * c.pixelQuantizer!.embeddingDim;
      f += vqganDecoderFlops(c.pixelDecoder!, g);
    } else {
      const p = c.decoderPatchSize;
      f += 2 * g * g * d * (p * p * 3) + convFlops(c.imageSize, 3, 3, 3);
    }
    return f;
  };
  if (stage === 'encode') return encode();
  if (stage === 'decode') return decode();
  return encode() + decode();
}

/**
 * FLOPs of one generator network call on one sequence (class token + L image tokens; logits
 * for the L image positions). A guided sampling step calls it twice per image.
 */
export function generatorCallFlops(c: GeneratorConfig): number {
  const t = c.imageSeqLen + 1;
  const h = c.hiddenSize;
  const block = transformerBlockFlops(t, h, c.intermediateSize);
  const head = 2 * c.imageSeqLen * h * c.codebookSize;
  if (c.modelType === 'ViT') return c.numHiddenLayers * block + head;
  const half = Math.floor(c.numHiddenLayers / 2);
  // U-ViT: in-blocks, mid block, out-blocks (each first a skip_linear 2h -> h)
  return (2 * half + 1) * block + half * 2 * t * (2 * h) * h + head;
}

/**
 * FLOPs of a generator stage for one image: `'step'` is one sampling step with guidance (two
 * network calls); `'generate'` the released number of steps (guided where the schedule's scale
 * is not 0) plus `decodeFlops`, the paired tokenizer's decode.
 */
export function generatorFlops(c: GeneratorConfig, stage: 'step' | 'generate', decodeFlops = 0): number {
  const call = generatorCallFlops(c);
  if (stage === 'step') return 2 * call;
  const s = c.sampling;
  let calls = 0;
  for (let step = 0; step < s.numSteps; step++) calls += guidanceScaleAt(s.guidanceDecay, s.guidanceScale, step, s.numSteps, s.guidanceScalePow) === 0 ? 1 : 2;
  return calls * call + decodeFlops;
}
