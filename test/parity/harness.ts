/**
 * Parity harness: backends to run on, weight formats to load, and the comparison of traced
 * intermediates (in titok-js' channels-last layouts) with the reference's recorded tensors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { StateDict } from '@titok/core';
import { openModelSource, readCheckpoint, readSafetensors } from '@titok/io';
import { writeTfjsFolder } from '@titok/io/node';
import { compareClose, fixturePath, loadExpected, readJson } from '../helpers/fixtures.js';
import type { ExpectedTensor } from '../helpers/fixtures.js';

/** Backends the parity suites run on. Adding one (e.g. 'webgpu') is one entry here. */
export const PARITY_BACKENDS: string[] = ['cpu', 'wasm'];

/**
 * Backends that run the parity suites from every weight format. The others run them from
 * model.safetensors only: every float32 format holds bit-identical weights (checked by
 * weight-formats.test.ts), so a slow backend learns nothing more from repeating the
 * computation. `TITOK_PARITY_ALL_FORMATS=1` runs every format everywhere.
 */
export const ALL_FORMAT_BACKENDS: string[] = ['wasm'];

/** Switches tfjs to `name` (the backend packages are imported above). */
export async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} could not be initialised`);
  await tf.ready();
}

/** A weight file of a fixture model and how to read it into a state dict. */
export interface WeightFormat {
  /** Short label for test names. */
  name: string;
  /** File name in the fixture folder (the source file for converted formats). */
  file: string;
  /** Precision of the stored weights: reduced ones are compared on their own recorded outputs. */
  kind: 'float32' | 'fp16' | 'bf16';
  read(model: string): Promise<StateDict>;
}

const safetensors = (file: string, kind: WeightFormat['kind']): WeightFormat => ({
  name: file,
  file,
  kind,
  read: (model) => readSafetensors(fs.readFileSync(fixturePath(model, file)), file),
});

const torch = (file: string): WeightFormat => ({
  name: file,
  file,
  kind: 'float32',
  read: (model) => readCheckpoint(fs.readFileSync(fixturePath(model, file)), { name: file }),
});

let convertedRoot: string | undefined;
const converted = new Map<string, Promise<string>>();

/** model.safetensors written as a tfjs model folder (float32) in a temporary folder, once per model. */
function tfjsFolder(model: string): Promise<string> {
  if (!converted.has(model)) {
    convertedRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), 'titok-parity-'));
    const out = path.join(convertedRoot, model);
    converted.set(
      model,
      (async () => {
        const sd = await readSafetensors(fs.readFileSync(fixturePath(model, 'model.safetensors')), 'model.safetensors');
        try {
          await writeTfjsFolder(sd, out, { dtype: 'float32', shardBytes: 256 * 1024, config: readJson(model, 'config.json') });
        } finally {
          await sd.close();
        }
        return out;
      })(),
    );
  }
  return converted.get(model)!;
}

afterAll(() => {
  if (convertedRoot) fs.rmSync(convertedRoot, { recursive: true, force: true });
  convertedRoot = undefined;
  converted.clear();
});

/** A tfjs model folder converted from model.safetensors, opened as users open one. */
const tfjsConverted: WeightFormat = {
  name: 'tfjs folder (converted)',
  file: 'model.safetensors',
  kind: 'float32',
  read: async (model) => (await openModelSource(await tfjsFolder(model))).stateDict,
};

const FORMATS: WeightFormat[] = [
  safetensors('model.safetensors', 'float32'),
  torch('pytorch_model.bin'),
  torch('pytorch_model_legacy.bin'),
  safetensors('model.fp16.safetensors', 'fp16'),
  safetensors('model.bf16.safetensors', 'bf16'),
  tfjsConverted,
];

/**
 * The weight formats of a fixture folder: safetensors (float32, float16, bfloat16) and PyTorch
 * `.bin` (zip and pre-1.6 legacy), whichever the folder has, and a tfjs model folder converted
 * from its safetensors.
 */
export function weightFormats(model: string): WeightFormat[] {
  return FORMATS.filter((f) => fs.existsSync(fixturePath(model, f.file)));
}

/** The formats a parity suite runs on `backend` (see {@link ALL_FORMAT_BACKENDS}). */
export function parityFormats(model: string, backend: string): WeightFormat[] {
  const all = weightFormats(model);
  if (ALL_FORMAT_BACKENDS.includes(backend) || process.env.TITOK_PARITY_ALL_FORMATS === '1') return all;
  return all.filter((f) => f.file === 'model.safetensors');
}

/** Reads a fixture's weights in one format. */
export function readWeights(model: string, format: WeightFormat): Promise<StateDict> {
  return format.read(model);
}

/** The description of one tensor in expected.json. */
interface TensorMeta {
  shape: number[];
  layout: string;
  stored?: string;
  full_shape?: number[];
  tolerance: { rtol: number; atol: number };
  stats_full?: { mean: number; std: number; min: number; max: number; abs_sum: number };
}

/** A fixture's expected tensors, with their layouts and the statistics of omitted ones. */
export interface Expected {
  tensors: Map<string, ExpectedTensor>;
  meta: Record<string, TensorMeta>;
  omitted: Record<string, TensorMeta>;
}

export async function loadFixture(model: string): Promise<Expected> {
  const json = readJson(model, 'expected.json');
  return { tensors: await loadExpected(model), meta: json.tensors, omitted: json.omitted_tensors ?? {} };
}

/**
 * Rank-4 reference tensors are NCHW (feature maps, and latent tokens as N x C x 1 x L); titok-js
 * keeps channels last. This reorders an expected tensor's values to NHWC so that they line up
 * with titok-js' flat data: N x C x 1 x L becomes N x 1 x L x C (= N x L x C) and the legacy
 * `encoder.conv_out.in` N x D x L x 1 becomes N x L x 1 x D (= N x L x D).
 */
export function toChannelsLast(data: ArrayLike<number>, shape: number[], layout: string): Float64Array {
  const out = new Float64Array(data.length);
  if (shape.length !== 4 || layout.startsWith('NHWC')) {
    for (let i = 0; i < data.length; i++) out[i] = data[i]!;
    return out;
  }
  const [n, c, h, w] = shape as [number, number, number, number];
  let i = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[i++] = data[((b * c + ch) * h + y) * w + x]!;
  return out;
}

/** Statistics of the full tensor, for the intermediates the fixtures omit. */
export function stats(data: ArrayLike<number>): { mean: number; std: number; min: number; max: number; abs_sum: number } {
  let sum = 0;
  let abs = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    sum += v;
    abs += Math.abs(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / data.length;
  let sq = 0;
  for (let i = 0; i < data.length; i++) sq += (data[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / Math.max(1, data.length - 1)), min, max, abs_sum: abs };
}

/**
 * Compares one recorded tensor with the fixture's `name` (stored whole, stored for batch
 * element 0 only, or omitted with statistics). Returns a failure message, or undefined when
 * within tolerance.
 */
export function checkTensor(expected: Expected, name: string, actual: ArrayLike<number>, actualShape: number[]): string | undefined {
  const stored = expected.tensors.get(name);
  if (stored) {
    const meta = expected.meta[name]!;
    const full = meta.full_shape ?? meta.shape;
    if (actualShape.reduce((a, b) => a * b, 1) !== full.reduce((a, b) => a * b, 1)) {
      return `${name}: ${actualShape.join('x')} values, the reference has ${full.join('x')}`;
    }
    const want = toChannelsLast(stored.data, stored.shape, meta.layout);
    const got = Array.prototype.slice.call(actual, 0, want.length) as number[];
    const c = compareClose(name, got, want, stored.tolerance);
    return c.ok ? undefined : c.message;
  }
  const omitted = expected.omitted[name];
  if (!omitted?.stats_full) return `${name}: not in the fixture`;
  if (actualShape.reduce((a, b) => a * b, 1) !== omitted.shape.reduce((a, b) => a * b, 1)) {
    return `${name}: ${actualShape.join('x')} values, the reference has ${omitted.shape.join('x')}`;
  }
  const s = stats(actual);
  const { rtol, atol } = omitted.tolerance;
  const problems: string[] = [];
  for (const k of ['mean', 'std', 'min', 'max'] as const) {
    const e = omitted.stats_full[k];
    if (!(Math.abs(s[k] - e) <= atol + rtol * Math.abs(e))) problems.push(`${k} ${s[k]} vs ${e}`);
  }
  const eAbs = omitted.stats_full.abs_sum;
  if (!(Math.abs(s.abs_sum - eAbs) <= rtol * eAbs)) problems.push(`abs_sum ${s.abs_sum} vs ${eAbs}`);
  return problems.length ? `${name} (statistics of an omitted tensor): ${problems.join(', ')}` : undefined;
}

/** Collects traced tensors as plain arrays (read synchronously inside the tidy). */
export class TraceRecorder {
  readonly values = new Map<string, { data: Float32Array | Int32Array; shape: number[] }>();

  readonly hook = (name: string, t: tf.Tensor): void => {
    this.values.set(name, { data: t.dataSync() as Float32Array | Int32Array, shape: [...t.shape] });
  };

  /** Checks every recorded name that the fixture knows; returns the failures. */
  compareAll(expected: Expected, rename: (name: string) => string = (n) => n): { failures: string[]; compared: string[] } {
    const failures: string[] = [];
    const compared: string[] = [];
    for (const [name, v] of this.values) {
      const key = rename(name);
      if (!expected.tensors.has(key) && !expected.omitted[key]) continue;
      compared.push(key);
      const f = checkTensor(expected, key, v.data, v.shape);
      if (f) failures.push(f);
    }
    return { failures, compared };
  }
}

/** Expected tensor as an NHWC/N L C tensor with its full stored shape (channels last). */
export function expectedTensor(expected: Expected, name: string, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const t = expected.tensors.get(name)!;
  const meta = expected.meta[name]!;
  const data = toChannelsLast(t.data, t.shape, meta.layout);
  const shape = t.shape.length === 4 && !meta.layout.startsWith('NHWC') ? [t.shape[0]!, t.shape[2]!, t.shape[3]!, t.shape[1]!] : t.shape;
  return tf.tensor(dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data), shape, dtype);
}
