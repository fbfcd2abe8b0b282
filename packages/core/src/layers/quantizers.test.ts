import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { InputError } from '../errors/index.js';
import { DiagonalGaussian } from './diagonal-gaussian.js';
import { Tracer } from './trace.js';
import { VectorQuantizer } from './vector-quantizer.js';

function setCodebook(vq: VectorQuantizer, rows: number[][]): void {
  vq.embedding.namedWeights().get('weight')!.write(tf.tensor2d(rows));
}

describe.each(['cpu', 'wasm'])('quantizers on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
  });

  it('VQ: nearest row by squared distance, first index on exact ties, straight-through output', () => {
    const vq = new VectorQuantizer({ codebookSize: 4, tokenSize: 2 });
    setCodebook(vq, [[0, 0], [2, 0], [0, 2], [2, 0]]);
    const z = tf.tensor3d([[[1.9, 0.1], [0.1, 1.5], [1, 1], [2, 0]]]);
    const names: string[] = [];
    const q = vq.quantize(z, new Tracer((n) => names.push(n)));
    // [1, 1] is equally far from rows 0, 1 and 2: the first wins; [2, 0] ties rows 1 and 3
    expect(q.indices.shape).toEqual([1, 4]);
    expect(Array.from(q.indices.dataSync())).toEqual([1, 2, 0, 1]);
    expect(q.codebookEntries.arraySync()).toEqual([[[2, 0], [0, 2], [0, 0], [2, 0]]]);
    const st = q.quantized.dataSync();
    Array.from(q.codebookEntries.dataSync()).forEach((v, i) => expect(st[i]).toBeCloseTo(v, 6));
    expect(names).toEqual(['distances', 'indices', 'codebook_entries', 'z_quantized']);
    const d = vq.distances(tf.tensor2d([[1, 1]]));
    expect(Array.from(d.dataSync())).toEqual([2, 2, 2, 2]);
    tf.dispose([z, q.indices, q.quantized, q.codebookEntries, d]);
    vq.disposeAll();
  });

  it('VQ with l2-norm compares directions and returns normalised rows', () => {
    const vq = new VectorQuantizer({ codebookSize: 3, tokenSize: 2, useL2Norm: true });
    setCodebook(vq, [[10, 0], [0, 0.1], [-3, -3]]);
    const z = tf.tensor2d([[0.01, 5], [-1, -0.8], [100, 1]]);
    const names: string[] = [];
    const q = vq.quantize(z, new Tracer((n) => names.push(n)));
    expect(Array.from(q.indices.dataSync())).toEqual([1, 2, 0]);
    const e = q.codebookEntries.arraySync() as number[][];
    expect(e[1]![0]).toBeCloseTo(-Math.SQRT1_2, 6);
    expect(e[0]).toEqual([0, 1]);
    expect(names[0]).toBe('z_normalized');
    const rows = vq.lookup(tf.tensor1d([0, 2], 'int32')).arraySync() as number[][];
    expect(rows[0]).toEqual([1, 0]);
    tf.dispose([z, q.indices, q.quantized, q.codebookEntries]);
    vq.disposeAll();
  });

  it.each([false, true])('VQ (l2-norm %p) takes the distances of a large batch in chunks, with the same tokens and no tensor left', (useL2Norm) => {
    const k = 512;
    const vq = new VectorQuantizer({ codebookSize: k, tokenSize: 8, useL2Norm });
    vq.embedding.namedWeights().get('weight')!.write(tf.randomNormal([k, 8], 0, 1, 'float32', 11));
    const saved = VectorQuantizer.distanceChunk;
    VectorQuantizer.distanceChunk = 100 * k;
    const m = 237; // two chunks of 100 rows and a partial one
    const z = tf.randomNormal([1, m, 8], 0, 1, 'float32', 12);
    const whole = tf.tidy(() => tf.argMin(vq.distances(tf.reshape(useL2Norm ? tf.div(z, tf.norm(z, 'euclidean', -1, true)) : z, [m, 8]) as tf.Tensor2D), 1));
    const before = tf.memory().numTensors;
    const q = vq.quantize(z);
    expect(q.indices.shape).toEqual([1, m]);
    expect(Array.from(q.indices.dataSync())).toEqual(Array.from(whole.dataSync()));
    tf.dispose([q.indices, q.quantized, q.codebookEntries]);
    expect(tf.memory().numTensors).toBe(before);
    VectorQuantizer.distanceChunk = saved;
    tf.dispose([z, whole]);
    vq.disposeAll();
  });

  it.each([false, true])('VQ (l2-norm %p): the k nearest rows, nearest first, in chunks as in one piece, no tensor left', (useL2Norm) => {
    const k = 64;
    const vq = new VectorQuantizer({ codebookSize: k, tokenSize: 4, useL2Norm });
    vq.embedding.namedWeights().get('weight')!.write(tf.randomNormal([k, 4], 0, 1, 'float32', 5));
    const m = 23;
    const z = tf.tidy(() => {
      const r = tf.randomNormal([m, 4], 0, 1, 'float32', 6);
      return useL2Norm ? tf.div(r, tf.norm(r, 'euclidean', -1, true)) : r;
    }) as tf.Tensor2D;
    const d = vq.distances(z).arraySync();
    const before = tf.memory().numTensors;
    const whole = vq.nearestCandidates(z, 5);
    const saved = VectorQuantizer.distanceChunk;
    VectorQuantizer.distanceChunk = 10 * k; // three chunks: 10, 10 and 3 rows
    const chunked = vq.nearestCandidates(z, 5);
    VectorQuantizer.distanceChunk = saved;
    expect(whole.shape).toEqual([m, 5]);
    expect(whole.dtype).toBe('int32');
    expect(chunked.arraySync()).toEqual(whole.arraySync());
    const ids = whole.arraySync();
    ids.forEach((row, i) => {
      // By distance, nearest first; the first is the quantiser's own choice; nothing closer left out.
      const dist = row.map((j) => d[i]![j]!);
      expect([...dist].sort((a, b) => a - b)).toEqual(dist);
      expect(row[0]).toBe(d[i]!.indexOf(Math.min(...d[i]!)));
      expect(d[i]!.filter((v) => v < dist[4]!).length).toBeLessThanOrEqual(4);
    });
    tf.dispose([whole, chunked]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => vq.nearestCandidates(z, 0)).toThrow(InputError);
    expect(() => vq.nearestCandidates(z, k + 1)).toThrow(/k must be a whole number from 1 to the codebook size 64, got 65/);
    z.dispose();
    vq.disposeAll();
  });

  it('MaskGIT-style VQ (straightThrough: false) returns the codebook rows themselves', () => {
    const vq = new VectorQuantizer({ codebookSize: 2, tokenSize: 1, straightThrough: false });
    setCodebook(vq, [[0.1], [0.7]]);
    const q = vq.quantize(tf.tensor2d([[0.3], [0.6]]));
    expect(Array.from(q.quantized.dataSync())).toEqual(Array.from(new Float32Array([0.1, 0.7])));
    tf.dispose([q.indices, q.quantized, q.codebookEntries]);
    vq.disposeAll();
  });

  it('DiagonalGaussian: mean/logvar split on the last axis, clamp to [-30, 20], std, sample, mode', () => {
    const params = tf.tensor3d([[[1, -2, -40, 25]]]);
    const names: string[] = [];
    const g = new DiagonalGaussian(params, new Tracer((n) => names.push(n)));
    expect(names).toEqual(['mean', 'logvar', 'std']);
    expect(g.shape).toEqual([1, 1, 2]);
    expect(Array.from(g.mean.dataSync())).toEqual([1, -2]);
    expect(Array.from(g.logvar.dataSync())).toEqual([-30, 20]);
    const std = g.std.dataSync();
    expect(std[0]! / Math.exp(-15)).toBeCloseTo(1, 5);
    expect(std[1]! / Math.exp(10)).toBeCloseTo(1, 5);
    const s = g.sample(tf.tensor3d([[[2, -1]]]));
    const sv = s.dataSync();
    expect(sv[0]).toBeCloseTo(1 + 2 * Math.exp(-15), 6);
    expect(sv[1]! / (-2 - Math.exp(10))).toBeCloseTo(1, 5);
    const a = g.sample(42).dataSync();
    const b = g.sample(42).dataSync();
    const c = g.sample(43).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(g.mode().dataSync())).toEqual([1, -2]);
    expect(() => g.sample(tf.zeros([1, 2]))).toThrow(InputError);
    expect(() => new DiagonalGaussian(tf.zeros([1, 3]))).toThrow(/even number of channels/);
    g.dispose();
    expect(g.mean.isDisposed && g.logvar.isDisposed && g.std.isDisposed).toBe(true);
    params.dispose();
  });
});
