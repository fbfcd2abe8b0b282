import * as tf from '@tensorflow/tfjs-core';

/** What a training loss function returns: the total to minimise and named parts to report. */
export interface LossOutput {
  total: tf.Scalar;
  /** Named scalars reported alongside the total (reconstruction, commitment, ...). */
  terms?: Record<string, tf.Scalar>;
  /**
   * What the loss averages over (examples, or masked tokens, ...): data-parallel replicas weight
   * their shares' gradients by it. Default 1 (equal shares).
   */
  weight?: number;
}

/** What {@link lossGradients} returns; dispose `grads` when done ({@link disposeGradients}). */
export interface LossGradients {
  /** Gradients by parameter key, clipped to `clipNorm` when given. */
  grads: Map<string, tf.Tensor>;
  /** The total (`loss`) and every term, as numbers. */
  losses: Record<string, number>;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** The loss's {@link LossOutput.weight} (1 when it gave none). */
  weight: number;
}

/**
 * Evaluates `f` and the gradients of its total with respect to `params` (tfjs' `variableGrads`),
 * then clips them to a global L2 norm of `clipNorm`. Every intermediate tensor is freed; only the
 * returned gradients remain.
 */
export async function lossGradients(
  params: ReadonlyMap<string, tf.Variable>,
  f: () => LossOutput,
  options: { clipNorm?: number } = {},
): Promise<LossGradients> {
  const keys = [...params.keys()];
  const vars = keys.map((k) => params.get(k)!);
  let terms: Record<string, tf.Scalar> = {};
  let weight = 1;
  const { value, grads } = tf.variableGrads(() => {
    const out = f();
    weight = out.weight ?? 1;
    terms = Object.fromEntries(Object.entries(out.terms ?? {}).map(([k, t]) => [k, tf.keep(t)]));
    return out.total;
  }, vars);
  const byKey = new Map<string, tf.Tensor>();
  vars.forEach((v, i) => {
    const g = grads[v.name];
    if (g) byKey.set(keys[i]!, g);
  });
  const norm2 = tf.tidy(() => tf.addN([...byKey.values()].map((g) => tf.sum(tf.square(g)))));
  const [normSq, total, ...termValues] = await Promise.all([norm2, value, ...Object.values(terms)].map(async (t) => (await t.data())[0]!));
  tf.dispose([norm2, value, ...Object.values(terms)]);
  const gradNorm = Math.sqrt(normSq!);
  const clip = options.clipNorm;
  if (clip !== undefined && Number.isFinite(gradNorm) && gradNorm > clip) {
    const s = clip / gradNorm;
    for (const [k, g] of byKey) {
      byKey.set(k, tf.tidy(() => tf.mul(g, s)));
      g.dispose();
    }
  }
  const losses: Record<string, number> = { loss: total! };
  Object.keys(terms).forEach((k, i) => {
    losses[k] = termValues[i]!;
  });
  return { grads: byKey, losses, gradNorm, weight };
}

/** Frees the gradients of {@link lossGradients}. */
export function disposeGradients(g: LossGradients): void {
  for (const t of g.grads.values()) t.dispose();
  g.grads.clear();
}
