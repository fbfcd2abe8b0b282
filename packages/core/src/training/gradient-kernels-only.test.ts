import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../backend/index.js';
import { ensureGradientKernels } from './gradient-kernels.js';

describe('ensureGradientKernels (gradients outside training)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', env: {} });
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('registers the missing gradient kernels and leaves the matrix product as it was', () => {
    const stock = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    ensureGradientKernels();
    ensureGradientKernels();
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(stock);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    expect(tf.getGradient('DepthToSpace')).toBeDefined();
  });

  it('a convolution filter gradient now runs on wasm and matches its definition', () => {
    ensureGradientKernels();
    tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      // d/dw of sum(conv(x, w)) for a 1x1 filter is the sum of x.
      const g = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')))(tf.ones([1, 1, 1, 1]));
      expect(Array.from(g.dataSync())).toEqual([10]);
    });
  });
});
