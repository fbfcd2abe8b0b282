import * as tf from '@tensorflow/tfjs-core';

/** What {@link maskedCrossEntropy} returns: scalars, all inside the caller's tape. */
export interface MaskedCrossEntropy {
  /** Mean over the weighted rows of (1 − ε)·NLL + ε·mean over classes of −log p (differentiable). */
  loss: tf.Scalar;
  /** Mean NLL over the weighted rows, without smoothing (no gradient). */
  nll: tf.Scalar;
}

/**
 * Label-smoothed cross-entropy of `logits` (N x K) against `targets` (int32 N), averaged over
 * the rows with weight 1 in `weights` (float32 N of 0/1), as one custom-gradient op.
 *
 * Written out, CE_i = lse_i − (1 − ε)·x_i[t_i] − ε·mean_k x_ik with lse_i = log Σ_k exp x_ik, and
 * its gradient is w_i/count · (softmax_i − (1 − ε)·onehot(t_i) − ε/K). Taken this way the N x K
 * work is one exp and a few passes, instead of log-softmax, a one-hot product and their
 * gradients through tfjs' autodiff (with a 4096-code vocabulary, most of a training step).
 */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, count: number, labelSmoothing: number): MaskedCrossEntropy {
  const [n, k] = logits.shape;
  const eps = labelSmoothing;
  let rowNll: tf.Tensor1D | undefined;
  const op = tf.customGrad(((x: tf.Tensor2D, save: (t: tf.Tensor[]) => void) => {
    const m = tf.max(x, -1, true);
    const e = tf.exp(tf.sub(x, m));
    const s = tf.sum(e, -1, true);
    const lse = tf.reshape(tf.add(m, tf.log(s)), [n]);
    const picked = tf.gather(tf.reshape(x, [n * k]), tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(k, 'int32')), targets));
    // kept past the custom op's scope (which frees everything but its value) for the NLL report
    rowNll = tf.keep(tf.sub(lse, picked)) as tf.Tensor1D;
    // (1 − ε)(lse − x_t) + ε(lse − mean x) = (lse − x_t) + ε(x_t − mean x)
    const ce = eps > 0 ? tf.add(rowNll, tf.mul(tf.sub(picked, tf.mean(x, -1)), eps)) : rowNll;
    const value = tf.div(tf.sum(tf.mul(ce, weights)), count) as tf.Scalar;
    // weights and targets too: the tape's forward pass is a tidy that frees what it does not save
    save([tf.div(e, s), weights, targets]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [p, w, t] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const scale = tf.reshape(tf.mul(w, tf.div(dy, count)), [n, 1]);
        // int32 one-hot, then scaled: tfjs-backend-wasm 4.22's OneHot returns zeros for float32
        const hot = tf.mul(tf.cast(tf.oneHot(t, k), 'float32'), 1 - eps);
        return tf.mul(tf.sub(tf.sub(p, eps / k), hot), scale);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const loss = op(logits) as tf.Scalar;
  const nll = tf.div(tf.sum(tf.mul(rowNll!, weights)), count) as tf.Scalar;
  rowNll!.dispose();
  return { loss, nll };
}
