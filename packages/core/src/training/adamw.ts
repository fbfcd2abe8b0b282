import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors/index.js';

/** Settings of {@link AdamW}. */
export interface AdamWOptions {
  /** Peak learning rate (a schedule may scale it per step). */
  learningRate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.99. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** Decoupled weight decay (Loshchilov & Hutter), default 1e-4. */
  weightDecay?: number;
}

/** Host copies of the optimiser's moments, keyed by parameter name (variable layout). */
export interface AdamWState {
  /** Updates applied so far (bias corrections use it). */
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/**
 * AdamW with its state keyed by parameter name (the state-dict keys), so that a checkpoint saves
 * and restores it exactly, in a fresh process, whatever tfjs named the variables. Decay applies
 * to the parameters `decays` selects (by default matrices and convolution kernels, not biases,
 * norms, embeddings or learned tokens). Updates are plain tfjs ops: deterministic on a backend.
 */
export class AdamW {
  readonly options: Required<AdamWOptions>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private steps = 0;

  constructor(
    options: AdamWOptions,
    private readonly decays: (key: string, shape: readonly number[]) => boolean = defaultDecays,
  ) {
    if (!(options.learningRate > 0)) throw new InputError(`the learning rate must be positive, got ${options.learningRate}`);
    this.options = { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 1e-4, ...options };
  }

  /** Updates applied so far. */
  get step(): number {
    return this.steps;
  }

  /**
   * Applies one update: `params` and `grads` share keys. `lrScale` multiplies the learning rate
   * (the schedule's factor for this step). Gradients are not disposed.
   */
  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lrScale = 1): void {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const lr = this.options.learningRate * lrScale;
    this.steps++;
    const c1 = 1 - beta1 ** this.steps;
    const c2 = 1 - beta2 ** this.steps;
    for (const [key, p] of params) {
      const g = grads.get(key);
      if (!g) continue;
      const m = this.moment(this.m, key, p);
      const v = this.moment(this.v, key, p);
      tf.tidy(() => {
        const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m2);
        v.assign(v2);
        const update = tf.div(tf.div(m2, c1), tf.add(tf.sqrt(tf.div(v2, c2)), epsilon));
        const decayed = weightDecay > 0 && this.decays(key, p.shape) ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
  }

  /** The moments on the host, for a checkpoint. */
  async state(): Promise<AdamWState> {
    const read = async (src: Map<string, tf.Variable>) => {
      const out = new Map<string, Float32Array>();
      for (const [k, t] of src) out.set(k, (await t.data()) as Float32Array);
      return out;
    };
    return { step: this.steps, m: await read(this.m), v: await read(this.v) };
  }

  /** Restores {@link AdamW.state}; `params` gives each moment's shape. */
  setState(state: AdamWState, params: ReadonlyMap<string, tf.Variable>): void {
    this.dispose();
    this.steps = state.step;
    for (const [src, dst] of [[state.m, this.m], [state.v, this.v]] as const) {
      for (const [k, data] of src) {
        const p = params.get(k);
        if (!p) throw new InputError(`optimizer state: no parameter '${k}' in this model`);
        if (data.length !== p.size) throw new InputError(`optimizer state: '${k}' has ${data.length} values, the parameter ${p.size}`);
        dst.set(k, tf.tidy(() => tf.variable(tf.tensor(data, p.shape, 'float32'), false)));
      }
    }
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }

  private moment(store: Map<string, tf.Variable>, key: string, p: tf.Variable): tf.Variable {
    let t = store.get(key);
    if (!t) {
      t = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      store.set(key, t);
    }
    return t;
  }
}

/** Matrices and kernels decay; biases, norms, embedding tables and learned tokens do not. */
export function defaultDecays(key: string, shape: readonly number[]): boolean {
  if (shape.length < 2) return false;
  return !/(embedding|embeddings|latent_tokens|mask_token|pos_embed)(\.|$)|word_embeddings|position_embeddings|token_type_embeddings/.test(key);
}
