import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors/index.js';
import { matMulWeight } from './linear-product.js';
import { TitokLayer, registerLayer } from './titok-layer.js';
import type { TitokLayerArgs } from './titok-layer.js';

/**
 * Padding of a {@link Conv2d}: `'same'` as the reference's `Conv2dSame` (total padding
 * `max((ceil(i/s) - 1)·s + k - i, 0)`, the smaller half before), `'valid'` (none), or a number
 * of pixels on every side (PyTorch's `padding=n`).
 */
export type Conv2dPadding = 'same' | 'valid' | number;

export interface Conv2dArgs extends TitokLayerArgs {
  inChannels: number;
  outChannels: number;
  /** Square kernel side. */
  kernelSize: number;
  /** Stride (default 1). */
  stride?: number;
  /** Default `'valid'`, as PyTorch's default `padding=0`. */
  padding?: Conv2dPadding;
  /** Whether there is a `bias` (default true). */
  bias?: boolean;
}

const TO_HWIO = [2, 3, 1, 0];
const TO_OIHW = [3, 2, 0, 1];

/** out x in x kh x kw to kh x kw x in x out, on the host. */
function oihwToHwio(w: tf.Tensor): tf.Tensor {
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const src = w.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  let s = 0;
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) dst[((y * kw + x) * i + b) * o + a] = src[s++]!;
  return tf.tensor4d(dst, [kh, kw, i, o], 'float32');
}

/**
 * PyTorch `nn.Conv2d` (and the reference's `Conv2dSame`) on channels-last (NHWC) images.
 * The checkpoint's `weight` is out x in x kh x kw; it is stored transposed to kh x kw x in x
 * out, the layout TensorFlow.js convolves with, once at load time. 1x1 convolutions with
 * stride 1 run as one matrix product.
 */
export class Conv2d extends TitokLayer {
  static className = 'TitokConv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: Conv2dPadding;
  readonly hasBias: boolean;
  protected readonly weight;
  protected readonly bias;

  constructor(args: Conv2dArgs) {
    super(args);
    this.inChannels = args.inChannels;
    this.outChannels = args.outChannels;
    this.kernelSize = args.kernelSize;
    this.stride = args.stride ?? 1;
    this.padding = args.padding ?? 'valid';
    this.hasBias = args.bias ?? true;
    for (const [k, v] of [['inChannels', this.inChannels], ['outChannels', this.outChannels], ['kernelSize', this.kernelSize], ['stride', this.stride]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ConfigError(`Conv2d: ${k} must be a positive integer, got ${v}`);
    }
    const k = this.kernelSize;
    this.weight = this.param('weight', [k, k, this.inChannels, this.outChannels], 'glorot', this.inChannels * k * k);
    this.bias = this.hasBias ? this.param('bias', [this.outChannels], 'zeros') : undefined;
  }

  override checkpointShape(key: string, variableShape: number[]): number[] {
    return key === 'weight' ? TO_OIHW.map((a) => variableShape[a]!) : variableShape;
  }

  override transformLoadedParam(key: string, value: tf.Tensor): tf.Tensor {
    if (key !== 'weight') return value;
    // tfjs-backend-cpu transposes element by element with index arithmetic (about 1 µs per
    // value: minutes for a released pixel decoder); on the CPU the data is already on the host.
    if (tf.getBackend() === 'cpu') return oihwToHwio(value);
    return tf.transpose(value, TO_HWIO);
  }

  override toCheckpointLayout(key: string, value: tf.Tensor): tf.Tensor {
    return key === 'weight' ? tf.transpose(value, TO_OIHW) : value;
  }

  /** Whether this convolution is a per-pixel matrix product. */
  get isPointwise(): boolean {
    return this.kernelSize === 1 && this.stride === 1 && (this.padding === 'valid' || this.padding === 'same' || this.padding === 0);
  }

  /** x: N x H x W x in (or any rank with channels last for 1x1 convolutions). */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const bias = this.bias?.read();
      if (this.isPointwise) {
        const lead = x.shape.slice(0, -1);
        const x2 = tf.reshape(x, [-1, this.inChannels]) as tf.Tensor2D;
        const w = tf.reshape(this.weight.read(), [this.inChannels, this.outChannels]) as tf.Tensor2D;
        const y = matMulWeight(x2, w, bias);
        return tf.reshape(y, [...lead, this.outChannels]);
      }
      const pad = this.padding;
      const filter = this.weight.read() as tf.Tensor4D;
      const x4 = x as tf.Tensor4D;
      return bias
        ? tf.fused.conv2d({ x: x4, filter, strides: this.stride, pad, bias })
        : tf.conv2d(x4, filter, this.stride, pad);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      bias: this.hasBias,
    };
  }
}
registerLayer(Conv2d);
