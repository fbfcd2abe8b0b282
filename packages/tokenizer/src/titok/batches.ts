import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@titok/core';

/**
 * Runs `fn` on slices of at most `batchSize` items along axis 0 and concatenates the results
 * (one call when the batch fits). Bounds peak memory for large batches.
 */
export function inBatches<T extends tf.Tensor>(x: tf.Tensor, batchSize: number | undefined, fn: (chunk: tf.Tensor) => T): T {
  const n = x.shape[0]!;
  if (batchSize === undefined || batchSize >= n) return tf.tidy(() => fn(x));
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`);
  const parts: T[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      parts.push(tf.tidy(() => fn(tf.slice(x, start, size))));
    }
    return tf.concat(parts, 0) as T;
  } finally {
    tf.dispose(parts);
  }
}

/** {@link inBatches} for an asynchronous `fn` (each chunk's result is awaited before the next). */
export async function inBatchesAsync<T extends tf.Tensor>(x: tf.Tensor, batchSize: number | undefined, fn: (chunk: tf.Tensor) => Promise<T>): Promise<T> {
  const n = x.shape[0]!;
  if (batchSize === undefined || batchSize >= n) return fn(x);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`);
  const parts: T[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const chunk = tf.slice(x, start, Math.min(batchSize, n - start));
      try {
        parts.push(await fn(chunk));
      } finally {
        chunk.dispose();
      }
    }
    return tf.concat(parts, 0) as T;
  } finally {
    tf.dispose(parts);
  }
}
