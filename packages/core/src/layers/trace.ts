import type * as tf from '@tensorflow/tfjs-core';

/**
 * Receives intermediate tensors of a forward pass by name. Names follow the reference's
 * state-dict paths (`encoder.transformer.1.out`, `pixel_decoder.up.3.out`, `quantize.indices`).
 * It is called inside `tf.tidy`: to keep a tensor beyond the call, copy it
 * (`tf.keep(tf.clone(t))`) or read it (`t.dataSync()`).
 */
export type TraceHook = (name: string, tensor: tf.Tensor) => void;

/**
 * Passes intermediates to an optional {@link TraceHook}, prefixing names with the path of the
 * module that records them. Costs nothing when there is no hook.
 */
export class Tracer {
  /** A tracer without a hook. */
  static readonly none = new Tracer();

  constructor(
    private readonly hook?: TraceHook,
    /** Prepended to every recorded name (`encoder.`). */
    readonly prefix = '',
  ) {}

  /** Whether a hook receives the tensors. */
  get enabled(): boolean {
    return this.hook !== undefined;
  }

  /** A tracer whose names are prefixed with `segment.` (a sub-module's path). */
  scope(segment: string): Tracer {
    return this.hook ? new Tracer(this.hook, `${this.prefix}${segment}.`) : this;
  }

  /** Hands `tensor` to the hook as `prefix + name` and returns it. */
  record<T extends tf.Tensor>(name: string, tensor: T): T {
    if (this.hook) this.hook(this.prefix + name, tensor);
    return tensor;
  }
}

/** Turns an optional hook (or tracer) into a {@link Tracer}. */
export function toTracer(trace?: TraceHook | Tracer): Tracer {
  if (trace instanceof Tracer) return trace;
  return trace ? new Tracer(trace) : Tracer.none;
}
