import * as tf from '@tensorflow/tfjs-core';
import { InputError, TitokLayer } from '@titok/core';
import type { GeneratorConfig, TitokLayerArgs } from '@titok/core';
import type { LogitsModel } from '../sampling/maskgit-sampler.js';
import { buildSequence, vocabSize } from './token-space.js';

/**
 * Receives named intermediate tensors during a forward pass (`embeddings.out`,
 * `layer.0.attention.self.out`, `in_blocks.1.out`, ...), named as the fixtures name them. The
 * tensor is disposed when the pass ends: read or `tf.keep`/`clone` it inside the callback.
 */
export type Tap = (name: string, value: tf.Tensor) => void;

/**
 * Base of the two generator networks: a token sequence [class token, L image tokens] in, logits
 * over the K image tokens at the L image positions out.
 */
export abstract class GeneratorNetwork extends TitokLayer implements LogitsModel {
  readonly config: GeneratorConfig;

  constructor(config: GeneratorConfig, args: TitokLayerArgs = {}) {
    super(args);
    this.config = config;
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  get imageSeqLen(): number {
    return this.config.imageSeqLen;
  }

  get numClasses(): number {
    return this.config.numClasses;
  }

  /**
   * The forward pass: `sequence` (int32, B x (1 + L)) -> logits B x L x K (the class position
   * is dropped). Call inside `tf.tidy`.
   */
  abstract forwardSequence(sequence: tf.Tensor, tap?: Tap): tf.Tensor;

  forward(sequence: tf.Tensor): tf.Tensor {
    return this.forwardSequence(sequence);
  }

  /**
   * Checkpoint keys that this network accepts and ignores (BERT's `position_ids` buffer).
   */
  ignoreKey(_key: string): boolean {
    return false;
  }

  /**
   * Logits for B sequences [classTokens[b], ids[b, ...]], as host data (B x L x K float32).
   * Every tensor is freed before it resolves.
   *
   * @throws InputError when an id is outside the token space
   */
  async logits(ids: Int32Array, classTokens: Int32Array): Promise<Float32Array> {
    const L = this.imageSeqLen;
    const b = classTokens.length;
    if (ids.length !== b * L) throw new InputError(`expected ${b} x ${L} token ids, got ${ids.length}`);
    const vocab = vocabSize(this.codebookSize, this.numClasses);
    for (const v of ids) if (!(v >= 0 && v <= this.codebookSize)) throw new InputError(`token id ${v} is outside [0, ${this.codebookSize}] (K = mask)`);
    for (const v of classTokens) if (!(v > this.codebookSize && v < vocab)) throw new InputError(`class token ${v} is outside [${this.codebookSize + 1}, ${vocab - 1}]`);
    const out = tf.tidy(() => this.forwardSequence(tf.tensor2d(buildSequence(ids, classTokens, L), [b, L + 1], 'int32')));
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }
}
