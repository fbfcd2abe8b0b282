import * as tf from '@tensorflow/tfjs-core';
import { ATTENTION_KERNEL } from '../kernels/wasm-attention.js';
import { canRunFastKernels, runFastKernel } from '../kernels/fast-kernels.js';

function splitHeads(x: tf.Tensor, n: number, t: number, numHeads: number, dh: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [n, t, numHeads, dh]), [0, 2, 1, 3]);
}

/** The attention of {@link multiHeadAttention} with stock tfjs ops (every backend, gradients). */
function attentionOps(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, numHeads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, tq, d] = q.shape as [number, number, number];
    const tk = k.shape[1]!;
    const dh = d / numHeads;
    const qh = splitHeads(tf.mul(q, 1 / Math.sqrt(dh)), n, tq, numHeads, dh);
    const kh = splitHeads(k, n, tk, numHeads, dh);
    const vh = splitHeads(v, n, tk, numHeads, dh);
    const probs = tf.softmax(tf.matMul(qh, kh, false, true));
    const ctx = tf.matMul(probs, vh);
    return tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [n, tq, d]) as tf.Tensor3D;
  });
}

function checkHeads(d: number, numHeads: number): void {
  if (d % numHeads !== 0) throw new Error(`attention: width ${d} is not divisible by ${numHeads} heads`);
}

/**
 * Scaled dot-product attention over heads split contiguously from the feature axis, as
 * PyTorch's MultiheadAttention, Hugging Face BERT and U-ViT all do: q, k, v are N x T x D
 * (already projected), head h takes features [h·D/H, (h+1)·D/H). Queries are scaled by
 * 1/sqrt(D/H) before the product, as PyTorch does. Returns N x T x D (heads concatenated,
 * before the output projection). No mask: no TiTok model uses one. On tfjs-backend-wasm
 * (inference) it runs as one fused kernel, see {@link packedAttention} (short sequences read
 * q, k and v in place).
 */
export function multiHeadAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, numHeads: number): tf.Tensor3D {
  checkHeads(q.shape[2]!, numHeads);
  const simd = runFastKernel<tf.Tensor3D>(ATTENTION_KERNEL, { q, k, v }, { numHeads });
  if (simd) return simd;
  if (canRunFastKernels() && q.shape[1] === k.shape[1]) {
    return tf.tidy(() => packedAttention(tf.concat([q, k, v], 2) as tf.Tensor3D, numHeads));
  }
  return attentionOps(q, k, v, numHeads);
}

/**
 * Self-attention from a packed projection: `qkv` is N x T x 3D, q | k | v on the last axis (the
 * layout of PyTorch's `in_proj_weight` rows and of U-ViT's `qkv` columns). Same result as
 * {@link multiHeadAttention} on the three parts. On tfjs-backend-wasm 4.22, while no gradient is
 * recorded, this is one kernel (`TitokAttention`): up to 192 tokens titok-js' SIMD attention,
 * which reads the projection in place; longer sequences a transpose to head-major order, every
 * (image, head) product on XNNPACK over views of that memory (threaded), the stock softmax and
 * one transpose back.
 */
export function packedAttention(qkv: tf.Tensor3D, numHeads: number): tf.Tensor3D {
  const d = qkv.shape[2] / 3;
  checkHeads(d, numHeads);
  const fast = runFastKernel<tf.Tensor3D>(ATTENTION_KERNEL, { qkv }, { numHeads });
  if (fast) return fast;
  return tf.tidy(() => {
    const [q, k, v] = tf.split(qkv, 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return attentionOps(q, k, v, numHeads);
  });
}
