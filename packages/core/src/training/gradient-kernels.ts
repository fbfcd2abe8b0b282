import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; tfjs-layers registers all of them when loaded.
import '@tensorflow/tfjs-layers';
import { useFastWasmMatMul, wasmMatMulFrom } from './wasm-matmul.js';

/**
 * What training needs that TensorFlow.js 4.22 lacks, registered once by
 * {@link ensureTrainingKernels} (the first two items alone by {@link ensureGradientKernels}):
 *
 * - a gradient for `DepthToSpace` (the direct-RGB decoder head): space-to-depth of dy, done with
 *   reshape and transpose, so it runs on every backend;
 * - on the wasm backend, `Conv2DBackpropFilter` (the filter gradient of every convolution; on the
 *   cpu backend too, whose own reads every element through a TensorBuffer, ~5x slower) and
 *   `UnsortedSegmentSum` (the table gradient of `gather`, i.e. of every embedding), which
 *   tfjs-backend-wasm does not implement. Both run on host memory in JavaScript, summing in a
 *   fixed order, so results are deterministic; they are small next to the matrix products.
 *
 * - on the wasm backend, matrix products with transposed operands through XNNPACK's fast path
 *   and batches of them ({@link useFastWasmMatMul}): training runs several times faster.
 *
 * Kernels and gradients that already exist (a later tfjs, or another caller) are left alone.
 */
export function ensureTrainingKernels(): void {
  useFastWasmMatMul();
  ensureGradientKernels();
}

/**
 * The gradients and gradient kernels of {@link ensureTrainingKernels}, without its faster matrix
 * products: for a gradient outside training (the code search's) that should leave the forward
 * numbers as they are. Idempotent.
 */
export function ensureGradientKernels(): void {
  if (!tf.getGradient('DepthToSpace')) {
    tf.registerGradient({
      kernelName: 'DepthToSpace',
      gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
        const g = dy as tf.Tensor4D;
        const p = attrs.blockSize as number;
        if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error('DepthToSpace gradient: only NHWC is supported');
        return {
          x: () => {
            const [n, h, w, c] = g.shape;
            const t = tf.reshape(g, [n, h / p, p, w / p, p, c]);
            return tf.reshape(tf.transpose(t, [0, 1, 3, 2, 4, 5]), [n, h / p, w / p, p * p * c]);
          },
        };
      },
    });
  }
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterHost as unknown as tf.KernelFunc });
  }
  // The cpu backend has one, but it reads every element through TensorBuffer.get: ~5x slower.
  const cpuFilter = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (cpuFilter && cpuFilter.kernelFunc !== (conv2dBackpropFilterHost as unknown)) {
    tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: conv2dBackpropFilterHost as unknown as tf.KernelFunc });
  }
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumHost as unknown as tf.KernelFunc });
  }
}

/** The part of a backend the host kernels use: the wasm backend has `makeOutput`, the cpu backend `makeTensorInfo`. */
interface HostBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

function emit(backend: HostBackend, shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo {
  return backend.makeTensorInfo ? backend.makeTensorInfo(shape, dtype, values) : backend.makeOutput!(shape, dtype, undefined, values);
}

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: HostBackend;
  attrs: tf.NamedAttrMap;
}

/** dW[kh, kw, ci, co] = Σ x[n, oh·s − top + kh, ow·s − left + kw, ci] · dy[n, oh, ow, co] (NHWC). */
function conv2dBackpropFilterHost({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm, host): only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: nb, inHeight: ih, inWidth: iw, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // wasm: one product through XNNPACK, (kh·kw·ci) x M patches by M x co gradients (M = nb·oh·ow),
  // dy read in place on the heap as the right operand.
  const rows = kh * kw * ci;
  const m = nb * oh * ow;
  const float32 = x.dtype === 'float32' && dy.dtype === 'float32';
  const fast = !float32 ? undefined : wasmMatMulFrom(backend, rows, m, co, dy, (cols, heap) => {
    const xv = heap(x);
    cols.fill(0);
    for (let n = 0; n < nb; n++) {
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          const col = (n * oh + y) * ow + xo;
          for (let a = 0; a < kh; a++) {
            const r = y * sh - top + a;
            if (r < 0 || r >= ih) continue;
            for (let b = 0; b < kw; b++) {
              const c = xo * sw - left + b;
              if (c < 0 || c >= iw) continue;
              const xBase = ((n * ih + r) * iw + c) * ci;
              const rBase = (a * kw + b) * ci;
              for (let i = 0; i < ci; i++) cols[(rBase + i) * m + col] = xv[xBase + i]!;
            }
          }
        }
      }
    }
  });
  if (fast) return { ...fast, shape: [kh, kw, ci, co] };
  const xv = backend.readSync(x.dataId) as Float32Array;
  const dyv = backend.readSync(dy.dataId) as Float32Array;
  // Accumulate in float64, in one fixed order: deterministic, and closer to exact than float32.
  const acc = new Float64Array(kh * kw * ci * co);
  for (let n = 0; n < nb; n++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const dyBase = ((n * oh + y) * ow + xo) * co;
        for (let a = 0; a < kh; a++) {
          const r = y * sh - top + a;
          if (r < 0 || r >= ih) continue;
          for (let b = 0; b < kw; b++) {
            const c = xo * sw - left + b;
            if (c < 0 || c >= iw) continue;
            const xBase = ((n * ih + r) * iw + c) * ci;
            const wBase = (a * kw + b) * ci * co;
            for (let i = 0; i < ci; i++) {
              const xval = xv[xBase + i]!;
              if (xval === 0) continue;
              const o0 = wBase + i * co;
              for (let o = 0; o < co; o++) acc[o0 + o]! += xval * dyv[dyBase + o]!;
            }
          }
        }
      }
    }
  }
  return emit(backend, [kh, kw, ci, co], 'float32', Float32Array.from(acc));
}

/** out[s, ...] = Σ over i with ids[i] = s of x[i, ...]; ids outside [0, numSegments) are dropped. */
function unsortedSegmentSumHost({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = attrs.numSegments as number;
  const xv = backend.readSync(x.dataId) as Float32Array;
  const ids = backend.readSync(segmentIds.dataId) as Int32Array;
  const rows = ids.length;
  const inner = rows === 0 ? 0 : xv.length / rows;
  if (!Number.isInteger(inner)) throw new Error(`UnsortedSegmentSum (wasm, host): ${xv.length} values for ${rows} segment ids`);
  const acc = new Float64Array(numSegments * inner);
  for (let i = 0; i < rows; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) acc[dst + j]! += xv[src + j]!;
  }
  const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  return emit(backend, shape, x.dtype, x.dtype === 'int32' ? Int32Array.from(acc) : Float32Array.from(acc));
}
