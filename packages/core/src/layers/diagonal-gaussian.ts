import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors/index.js';
import { Tracer } from './trace.js';

/**
 * The VAE posterior of TiTok's continuous tokens (the reference's
 * `DiagonalGaussianDistribution`), channels last: the encoder output … x 2C splits into `mean`
 * (first C channels) and `logvar` (last C), logvar is clamped to [-30, 20] and
 * std = exp(logvar / 2). Holds its tensors until {@link DiagonalGaussian.dispose}.
 */
export class DiagonalGaussian {
  /** … x C. */
  readonly mean: tf.Tensor;
  /** … x C, clamped to [-30, 20]. */
  readonly logvar: tf.Tensor;
  /** … x C, exp(logvar / 2). */
  readonly std: tf.Tensor;

  /**
   * @param parameters - … x 2C (mean, then logvar); not taken over (the caller still owns it)
   */
  constructor(parameters: tf.Tensor, trace: Tracer = Tracer.none) {
    const c2 = parameters.shape[parameters.rank - 1]!;
    if (c2 % 2 !== 0) throw new InputError(`a posterior needs an even number of channels, got ${c2}`);
    const { mean, logvar, std } = tf.tidy(() => {
      const [m, lv] = tf.split(parameters, 2, -1) as [tf.Tensor, tf.Tensor];
      const l = tf.clipByValue(lv, -30, 20);
      return { mean: trace.record('mean', m), logvar: trace.record('logvar', l), std: trace.record('std', tf.exp(tf.mul(l, 0.5))) };
    });
    this.mean = mean;
    this.logvar = logvar;
    this.std = std;
  }

  /** Shape of a sample (the shape of `mean`). */
  get shape(): number[] {
    return [...this.mean.shape];
  }

  /**
   * mean + std · ε. ε is `noise` when a tensor is given (shape of `mean`), else standard-normal
   * draws, seeded when a number is given.
   */
  sample(noiseOrSeed?: tf.Tensor | number): tf.Tensor {
    if (noiseOrSeed instanceof tf.Tensor && !tf.util.arraysEqual(noiseOrSeed.shape, this.mean.shape)) {
      throw new InputError(`posterior noise must have shape [${this.mean.shape.join(', ')}], got [${noiseOrSeed.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const eps =
        noiseOrSeed instanceof tf.Tensor ? noiseOrSeed : tf.randomNormal(this.mean.shape, 0, 1, 'float32', noiseOrSeed);
      return tf.add(this.mean, tf.mul(this.std, eps));
    });
  }

  /** The most likely value: a copy of `mean`. */
  mode(): tf.Tensor {
    return tf.clone(this.mean);
  }

  /** Frees mean, logvar and std. */
  dispose(): void {
    tf.dispose([this.mean, this.logvar, this.std]);
  }
}
