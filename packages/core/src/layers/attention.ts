import * as tf from '@tensorflow/tfjs-core';

/**
 * Scaled dot-product attention over heads split contiguously from the feature axis, as
 * PyTorch's MultiheadAttention, Hugging Face BERT and U-ViT all do: q, k, v are N x T x D
 * (already projected), head h takes features [h·D/H, (h+1)·D/H). Queries are scaled by
 * 1/sqrt(D/H) before the product, as PyTorch does. Returns N x T x D (heads concatenated,
 * before the output projection). No mask: no TiTok model uses one.
 */
export function multiHeadAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, numHeads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, tq, d] = q.shape as [number, number, number];
    const tk = k.shape[1]!;
    if (d % numHeads !== 0) throw new Error(`attention: width ${d} is not divisible by ${numHeads} heads`);
    const dh = d / numHeads;
    const split = (x: tf.Tensor, t: number) => tf.transpose(tf.reshape(x, [n, t, numHeads, dh]), [0, 2, 1, 3]);
    const qh = split(tf.mul(q, 1 / Math.sqrt(dh)), tq);
    const kh = split(k, tk);
    const vh = split(v, tk);
    const probs = tf.softmax(tf.matMul(qh, kh, false, true));
    const ctx = tf.matMul(probs, vh);
    return tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [n, tq, d]) as tf.Tensor3D;
  });
}
