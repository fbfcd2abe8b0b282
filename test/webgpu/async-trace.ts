import * as tf from '@tensorflow/tfjs-core';
import { TraceRecorder } from '../parity/harness.js';

/**
 * Records traced tensors like the harness' TraceRecorder, but reads them asynchronously after
 * the tidy: tfjs-webgpu's synchronous readback needs a canvas, which Node does not have.
 */
export class AsyncTraceRecorder extends TraceRecorder {
  private readonly pending = new Map<string, tf.Tensor>();
  readonly keep = (name: string, t: tf.Tensor): void => {
    this.pending.get(name)?.dispose();
    this.pending.set(name, tf.keep(tf.clone(t)));
  };
  async flush(): Promise<this> {
    for (const [name, t] of this.pending) {
      this.values.set(name, { data: (await t.data()) as Float32Array | Int32Array, shape: [...t.shape] });
      t.dispose();
    }
    this.pending.clear();
    return this;
  }
}
