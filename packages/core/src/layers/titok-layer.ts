import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { releaseKernelCaches } from '../kernels/fast-kernels.js';

/** Constructor arguments every TiTok layer accepts. */
export interface TitokLayerArgs {
  /** Layer name (tfjs); defaults to a unique name from the class. */
  name?: string;
  /** Whether the weights are trainable (default true). */
  trainable?: boolean;
}

/** One weight of a layer tree, as {@link TitokLayer.weightEntries} lists it. */
export interface WeightEntry {
  /** Full state-dict key. */
  key: string;
  /** Key within the owning layer (`weight`, `in_proj_bias`, ...). */
  localKey: string;
  variable: LayerVariable;
  owner: TitokLayer;
  /** Shape of this weight in a PyTorch checkpoint. */
  checkpointShape: number[];
}

/** Initialisers used when weights are created before loading (or for training from scratch). */
export type ParamInit = 'zeros' | 'ones' | 'normal' | 'glorot';

/** How {@link TitokLayer.param} initialises the weights it creates; see {@link withParamInit}. */
export interface ParamInitOptions {
  /**
   * Seed of the random initialisers: the weights created inside {@link withParamInit} draw from
   * seed, seed + 1, ... in creation order, so the same build gives the same weights.
   */
  seed?: number;
  /**
   * Random initialisers give zeros instead: nothing random is drawn and, on the CPU backend,
   * the untouched memory stays virtual. For models that are built only to be inspected or to
   * have a checkpoint loaded into them.
   */
  zeros?: boolean;
}

let paramInit: { seed?: number; zeros?: boolean } | undefined;

/**
 * Runs `build` (which constructs layers) with the given initialisation settings and returns its
 * result. Settings do not leak: nested calls restore the outer settings when they return.
 */
export function withParamInit<T>(options: ParamInitOptions, build: () => T): T {
  const outer = paramInit;
  paramInit = { ...options };
  try {
    return build();
  } finally {
    paramInit = outer;
  }
}

function nextSeed(): number {
  if (paramInit?.seed === undefined) return Math.floor(Math.random() * 2 ** 32);
  return paramInit.seed++;
}

let sharedZeros = new Float32Array(0);

/**
 * Zeros for `zeros: true` builds on the CPU backend: every weight starts as a view of one
 * zero-filled buffer (the CPU backend keeps host arrays by reference and TensorFlow.js never
 * writes into them). A model built only to be inspected or loaded then costs no resident memory
 * until its weights are written: a separate zero array per weight would be recycled heap
 * memory, cleared page by page.
 */
const SHARED_ZEROS = {
  apply(shape: number[]): tf.Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > sharedZeros.length) sharedZeros = new Float32Array(Math.max(n, 1 << 20));
    return tf.tensor(sharedZeros.subarray(0, n), shape, 'float32');
  },
} as unknown as ReturnType<typeof tfl.initializers.zeros>;

/**
 * Normal draws with a small seeded generator (mulberry32 and Box-Muller) on the host: tfjs'
 * own randomNormal takes about 0.6 µs a value, a minute for a released model's weights.
 */
function normalInitializer(stddev: number, seed: number) {
  return {
    apply(shape: number[]): tf.Tensor {
      const n = shape.reduce((a, b) => a * b, 1);
      const out = new Float32Array(n);
      // local bindings: some hosts (jest's sandbox) make every `Math.f` lookup slow
      const { imul, sqrt, log, cos, sin, PI } = Math;
      let state = (seed * 0x9e3779b1) >>> 0;
      const uniform = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = imul(t ^ (t >>> 15), t | 1);
        t ^= t + imul(t ^ (t >>> 7), t | 61);
        return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
      };
      for (let i = 0; i < n; i += 2) {
        const r = stddev * sqrt(-2 * log(uniform()));
        const a = 2 * PI * uniform();
        out[i] = r * cos(a);
        if (i + 1 < n) out[i + 1] = r * sin(a);
      }
      return tf.tensor(out, shape, 'float32');
    },
  } as unknown as ReturnType<typeof tfl.initializers.zeros>;
}

function initializer(init: ParamInit, fanIn: number) {
  if (init !== 'ones' && paramInit?.zeros) return tf.getBackend() === 'cpu' ? SHARED_ZEROS : tfl.initializers.zeros();
  switch (init) {
    case 'zeros':
      return tfl.initializers.zeros();
    case 'ones':
      return tfl.initializers.ones();
    case 'normal':
      return normalInitializer(0.02, nextSeed());
    case 'glorot':
      return normalInitializer(1 / Math.sqrt(Math.max(1, fanIn)), nextSeed());
  }
}

/**
 * Base of every titok-js layer: a `tf.layers.Layer` whose weights and sub-layers are named
 * after the PyTorch state-dict keys, so that `namedWeights()` yields exactly the keys of a
 * released checkpoint (`encoder.transformer.0.attn.in_proj_weight`, ...) and loading is a
 * lookup. Weights are created in the constructor (the layer is built at once), in PyTorch's
 * layout (Linear weights out x in, convolutions out x in x kh x kw).
 *
 * Call layers eagerly with {@link TitokLayer.forward} (or `apply`); keep calls inside `tf.tidy`.
 */
export abstract class TitokLayer extends tfl.layers.Layer {
  private readonly ownParams = new Map<string, LayerVariable>();
  private readonly subLayers = new Map<string, TitokLayer>();

  constructor(args: TitokLayerArgs = {}) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.built = true;
  }

  /**
   * Creates a weight named after its state-dict key suffix (`weight`, `bias`,
   * `in_proj_weight`, ...). `fanIn` scales the 'glorot' initialiser.
   */
  protected param(key: string, shape: number[], init: ParamInit = 'zeros', fanIn = shape[shape.length - 1] ?? 1): LayerVariable {
    if (this.ownParams.has(key) || this.subLayers.has(key)) throw new Error(`${this.name}: duplicate parameter '${key}'`);
    const v = this.addWeight(key, shape, 'float32', initializer(init, fanIn), undefined, this.trainable);
    this.ownParams.set(key, v);
    return v;
  }

  /** Registers a sub-layer under its state-dict path segment (`ln_1`, `attn`, `0`, ...). */
  protected child<T extends TitokLayer>(key: string, layer: T): T {
    if (this.ownParams.has(key) || this.subLayers.has(key)) throw new Error(`${this.name}: duplicate child '${key}'`);
    this.subLayers.set(key, layer);
    return layer;
  }

  /** Registers a list of sub-layers as `key.0`, `key.1`, ... and returns them. */
  protected children<T extends TitokLayer>(key: string, layers: T[]): T[] {
    layers.forEach((l, i) => this.child(`${key}.${i}`, l));
    return layers;
  }

  /** Every weight of this layer and its sub-layers, keyed by full state-dict key, in creation order. */
  namedWeights(prefix = ''): Map<string, LayerVariable> {
    const out = new Map<string, LayerVariable>();
    for (const e of this.weightEntries(prefix)) out.set(e.key, e.variable);
    return out;
  }

  /** Like {@link namedWeights}, with the layer that owns each weight and its checkpoint shape. */
  weightEntries(prefix = ''): WeightEntry[] {
    const out: WeightEntry[] = [];
    for (const [k, v] of this.ownParams) {
      out.push({ key: prefix + k, localKey: k, variable: v, owner: this, checkpointShape: this.checkpointShape(k, v.shape as number[]) });
    }
    for (const [k, layer] of this.subLayers) out.push(...layer.weightEntries(`${prefix}${k}.`));
    return out;
  }

  /**
   * Shape of a weight in the checkpoint. Equal to the variable's shape unless the layer stores
   * it in another layout (then override this and {@link transformLoadedParam} together).
   */
  checkpointShape(_key: string, variableShape: number[]): number[] {
    return variableShape;
  }

  /** The sub-layers, keyed by their state-dict path segment. */
  namedChildren(): ReadonlyMap<string, TitokLayer> {
    return this.subLayers;
  }

  /** Every variable, for optimisers (`optimizer.minimize(f, true, model.variables())`). */
  variables(): tf.Variable[] {
    return [...this.namedWeights().values()].map((v) => v.read() as tf.Variable);
  }

  /** Number of scalar parameters of this layer and its sub-layers. */
  numParameters(): number {
    let n = 0;
    for (const v of this.namedWeights().values()) n += (v.shape as number[]).reduce((a, b) => a * b, 1);
    return n;
  }

  /** Frees every weight of this layer and its sub-layers. */
  disposeAll(): void {
    for (const v of this.namedWeights().values()) {
      try {
        v.dispose();
      } catch {
        // already disposed
      }
    }
    releaseKernelCaches();
  }

  /**
   * Hook called by the loader before a weight is written; layers that store a weight in
   * another layout than PyTorch's (e.g. pre-transposed) override it. `value` is in the
   * checkpoint's layout; the result must have the variable's shape.
   */
  transformLoadedParam(_key: string, value: tf.Tensor): tf.Tensor {
    return value;
  }

  /**
   * The inverse of {@link transformLoadedParam}: a weight's value in the checkpoint's layout
   * (for writers that save `namedWeights()` as a PyTorch-compatible state dict). Returns
   * `value` itself when the layouts agree, else a new tensor.
   */
  toCheckpointLayout(_key: string, value: tf.Tensor): tf.Tensor {
    return value;
  }

  /** The computation. Inputs are tensors; the result is one tensor. */
  abstract forward(...inputs: tf.Tensor[]): tf.Tensor;

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? this.forward(...inputs) : this.forward(inputs);
  }
}

/**
 * Registers a layer class for tfjs serialization (`tf.serialization.registerClass`). Call once
 * per class, at module level, right after the class definition.
 */
export function registerLayer<T extends tf.serialization.SerializableConstructor<tf.serialization.Serializable>>(cls: T): T {
  tf.serialization.registerClass(cls);
  return cls;
}
