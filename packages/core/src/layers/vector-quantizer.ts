import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors/index.js';
import { linearProduct } from './linear-product.js';
import { Embedding } from './embedding.js';
import { l2Normalize } from './l2-normalize.js';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';
import { Tracer } from './trace.js';

export interface VectorQuantizerArgs extends TitokLayerArgs {
  /** Codebook rows K. */
  codebookSize: number;
  /** Row width C. */
  tokenSize: number;
  /** Normalise vectors and codebook rows to unit length before comparing (TiTok-L/B/S). */
  useL2Norm?: boolean;
  /**
   * Whether `quantized` is the straight-through z + (e - z), as TiTok returns it (default), or
   * the codebook rows e, as MaskGIT-VQGAN does at inference.
   */
  straightThrough?: boolean;
}

/** What {@link VectorQuantizer.quantize} returns (every tensor is new: dispose them). */
export interface Quantized {
  /** Index of the nearest codebook row, int32, shape of z without its last axis. */
  indices: tf.Tensor;
  /** The straight-through output z + (e - z) (z normalised with l2-norm), shape of z. */
  quantized: tf.Tensor;
  /** The codebook rows e themselves (normalised with l2-norm), shape of z. */
  codebookEntries: tf.Tensor;
}

/**
 * Vector quantiser with the codebook `embedding.weight` (K x C). Vectors (the last axis of z)
 * and, with l2-norm, the codebook rows are normalised; the distance is ‖z‖² + ‖e‖² − 2 z·e and
 * the token is the argmin (first index on exact ties). The same layer serves TiTok's quantizer
 * and MaskGIT-VQGAN's (plain squared distance).
 */
export class VectorQuantizer extends TitokLayer {
  static className = 'TitokVectorQuantizer';
  /** Most distances {@link VectorQuantizer.nearest} holds at once (2^24: 64 MB of float32). */
  static distanceChunk = 1 << 24;
  readonly codebookSize: number;
  readonly tokenSize: number;
  readonly useL2Norm: boolean;
  readonly straightThrough: boolean;
  readonly embedding: Embedding;

  constructor(args: VectorQuantizerArgs) {
    super(args);
    this.codebookSize = args.codebookSize;
    this.tokenSize = args.tokenSize;
    this.useL2Norm = args.useL2Norm ?? false;
    this.straightThrough = args.straightThrough ?? true;
    this.embedding = this.child('embedding', new Embedding({ numEmbeddings: this.codebookSize, embeddingDim: this.tokenSize }));
  }

  /** The codebook as the distances see it (normalised rows with l2-norm), K x C. */
  codebook(): tf.Tensor2D {
    return tf.tidy(() => {
      const table = this.embedding.table();
      return (this.useL2Norm ? l2Normalize(table) : tf.clone(table)) as tf.Tensor2D;
    });
  }

  /**
   * Squared distances of flattened vectors (M x C, already normalised with l2-norm) to every
   * codebook row: M x K.
   */
  distances(z2: tf.Tensor2D, codebook?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      codebook ??= this.comparedTable();
      const zz = tf.sum(tf.square(z2), 1, true);
      const ee = tf.sum(tf.square(codebook), 1);
      return tf.sub(tf.add(zz, ee), tf.mul(linearProduct(z2, codebook), 2)) as tf.Tensor2D;
    });
  }

  /**
   * Quantises z (… x C). Records `z_normalized` (l2-norm only), `distances`, `indices`,
   * `codebook_entries` and `z_quantized`.
   */
  quantize(z: tf.Tensor, trace: Tracer = Tracer.none): Quantized {
    const out = tf.tidy(() => {
      const lead = z.shape.slice(0, -1);
      let zn = z;
      if (this.useL2Norm) zn = trace.record('z_normalized', l2Normalize(z));
      const flat = tf.reshape(zn, [-1, this.tokenSize]) as tf.Tensor2D;
      const indices = trace.record('indices', tf.reshape(trace.enabled ? tf.argMin(trace.record('distances', this.distances(flat)), 1) : this.nearest(flat), lead));
      const codebookEntries = trace.record('codebook_entries', this.lookup(indices));
      let quantized: tf.Tensor;
      if (this.straightThrough) {
        const e = this.useL2Norm ? l2Normalize(codebookEntries) : codebookEntries;
        quantized = tf.add(zn, tf.sub(e, zn));
      } else {
        quantized = tf.clone(codebookEntries);
      }
      trace.record('z_quantized', quantized);
      return { indices, quantized, codebookEntries };
    });
    return out;
  }

  /**
   * Index of the nearest codebook row for each row of z2 (M x C, normalised with l2-norm),
   * int32 M. The M x K distances are taken `distanceChunk` elements at a time, so a large batch
   * with a large codebook (500 images x 32 tokens x 16384 codes: 1 GB at once) stays within the
   * wasm heap; each row's distances and argmin are the same as in one piece.
   */
  nearest(z2: tf.Tensor2D): tf.Tensor1D {
    return this.byDistances(z2, (d) => tf.argMin(d, 1) as tf.Tensor1D);
  }

  /**
   * The `k` nearest codebook rows of each row of z2 (M x C, normalised with l2-norm), nearest
   * first: int32 M x k. Taken in chunks like {@link VectorQuantizer.nearest}.
   *
   * @throws InputError unless 1 <= k <= codebookSize
   */
  nearestCandidates(z2: tf.Tensor2D, k: number): tf.Tensor2D {
    if (!Number.isInteger(k) || k < 1 || k > this.codebookSize) throw new InputError(`k must be a whole number from 1 to the codebook size ${this.codebookSize}, got ${k}`);
    return this.byDistances(z2, (d) => tf.topk(tf.neg(d), k).indices as tf.Tensor2D);
  }

  /**
   * `pick` applied to the distances of z2's rows to every codebook row, `distanceChunk` elements
   * at a time, the pieces concatenated along axis 0 (each row's result as in one piece).
   */
  private byDistances<T extends tf.Tensor>(z2: tf.Tensor2D, pick: (distances: tf.Tensor2D) => T): T {
    const m = z2.shape[0];
    const rows = Math.max(1, Math.floor(VectorQuantizer.distanceChunk / this.codebookSize));
    if (m <= rows) return tf.tidy(() => pick(this.distances(z2)));
    return tf.tidy(() => {
      const codebook = this.comparedTable();
      const parts: T[] = [];
      for (let s = 0; s < m; s += rows) {
        const part = tf.slice(z2, [s, 0], [Math.min(rows, m - s), -1]);
        parts.push(tf.tidy(() => pick(this.distances(part, codebook))));
        part.dispose();
      }
      return tf.concat(parts) as T;
    });
  }

  /**
   * The rows the distances compare with: normalised with l2-norm, else the table itself (a
   * stable tensor, so a wasm linear kernel keeps its packed copy instead of packing a fresh
   * clone on every call). Do not dispose it without l2-norm.
   */
  private comparedTable(): tf.Tensor2D {
    const table = this.embedding.table();
    return this.useL2Norm ? (l2Normalize(table) as tf.Tensor2D) : table;
  }

  /** Codebook rows (normalised with l2-norm) for int32 indices of any shape: shape + [C]. */
  lookup(indices: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const rows = this.embedding.forward(indices);
      return this.useL2Norm ? l2Normalize(rows) : rows;
    });
  }

  forward(z: tf.Tensor): tf.Tensor {
    const { indices, quantized, codebookEntries } = this.quantize(z);
    tf.dispose([indices, codebookEntries]);
    return quantized;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), codebookSize: this.codebookSize, tokenSize: this.tokenSize, useL2Norm: this.useL2Norm, straightThrough: this.straightThrough };
  }
}
registerLayer(VectorQuantizer);
