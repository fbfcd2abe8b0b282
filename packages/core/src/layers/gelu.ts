import * as tf from '@tensorflow/tfjs-core';
import { TitokLayer, registerLayer } from './titok-layer.js';
import { runFastKernel } from '../kernels/fast-kernels.js';
import { GELU_KERNEL } from '../kernels/wasm-elementwise.js';
import type { TitokLayerArgs } from './titok-layer.js';

/**
 * Exact GELU, x * Φ(x) = 0.5 x (1 + erf(x / √2)), as PyTorch's `nn.GELU()` default. tfjs' erf
 * uses a polynomial approximation accurate to about 1e-7, well within the fixtures' tolerances;
 * on tfjs-backend-wasm (inference) it is one SIMD pass with the same approximation.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const fast = runFastKernel(GELU_KERNEL, { x }, {});
  if (fast) return fast;
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** {@link gelu} as a layer (no weights). */
export class Gelu extends TitokLayer {
  static className = 'TitokGelu';

  constructor(args: TitokLayerArgs = {}) {
    super(args);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
}
registerLayer(Gelu);
