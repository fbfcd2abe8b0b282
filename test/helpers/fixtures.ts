/**
 * Test helpers shared by the package tests and the cross-package tests: where the fixtures
 * are, how to load `expected.safetensors` with its tolerances, and how to compare.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toFloat32, toInt32 } from '@titok/core';
import type { DType } from '@titok/core';
import { readSafetensors } from '@titok/io';

/** Absolute path of `test/fixtures`. */
export const FIXTURES = path.resolve(__dirname, '../fixtures');

/** The fixture model folders. */
export const TOKENIZER_FIXTURES = ['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel', 'titok_tiny_vae'] as const;

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export function readJson<T = any>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(fixturePath(...parts), 'utf8')) as T;
}

/** Tolerance of one expected tensor, as expected.json gives it. */
export interface Tolerance {
  rtol: number;
  atol: number;
  exact?: boolean;
}

/** One tensor of expected.safetensors with its description from expected.json. */
export interface ExpectedTensor {
  name: string;
  shape: number[];
  dtype: DType;
  /** Float values (for float tensors) or integer values. */
  data: Float32Array | Int32Array | Uint8Array;
  tolerance: Tolerance;
  /** 'full' or a note that only batch element 0 is stored. */
  stored: string;
  fullShape?: number[];
}

/** Loads every tensor of `<model>/expected.safetensors` with its tolerance. */
export async function loadExpected(model: string): Promise<Map<string, ExpectedTensor>> {
  const meta = readJson(model, 'expected.json');
  const sd = await readSafetensors(fs.readFileSync(fixturePath(model, 'expected.safetensors')), 'expected.safetensors');
  const out = new Map<string, ExpectedTensor>();
  for (const [name, t] of sd.tensors) {
    const info = meta.tensors[name] ?? {};
    const bytes = await t.read();
    const data =
      t.dtype === 'U8' ? new Uint8Array(bytes) : t.dtype.startsWith('I') ? toInt32(bytes, t.dtype) : toFloat32(bytes, t.dtype);
    out.set(name, {
      name,
      shape: [...t.shape],
      dtype: t.dtype,
      data,
      tolerance: info.tolerance ?? { rtol: 1e-4, atol: 1e-4 },
      stored: info.stored ?? 'full',
      fullShape: info.full_shape,
    });
  }
  return out;
}

/** Result of {@link compareClose}. */
export interface Comparison {
  ok: boolean;
  worst: number;
  worstIndex: number;
  actual?: number;
  expected?: number;
  message: string;
}

/**
 * Element-wise |a - e| <= atol + rtol |e|. Returns the worst offender for a readable failure.
 */
export function compareClose(
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
): Comparison {
  if (actual.length !== expected.length) {
    return { ok: false, worst: Infinity, worstIndex: -1, message: `${name}: length ${actual.length} != expected ${expected.length}` };
  }
  let worst = 0;
  let worstIndex = -1;
  let ok = true;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    const allowed = tol.atol + tol.rtol * Math.abs(e);
    const ratio = allowed > 0 ? err / allowed : err > 0 ? Infinity : 0;
    if (!(err <= allowed)) ok = false;
    if (ratio > worst || Number.isNaN(a)) {
      worst = Number.isNaN(a) ? Infinity : ratio;
      worstIndex = i;
    }
  }
  const message = ok
    ? `${name}: ok (worst error ${worst.toFixed(3)} of tolerance)`
    : `${name}: element ${worstIndex} is ${actual[worstIndex]} but expected ${expected[worstIndex]} (error ${worst.toFixed(2)}x the tolerance ${JSON.stringify(tol)})`;
  return { ok, worst, worstIndex, actual: actual[worstIndex], expected: expected[worstIndex], message };
}

/** Jest-friendly assertion: throws with the worst offender when out of tolerance. */
export function expectClose(name: string, actual: ArrayLike<number>, expected: ExpectedTensor, tol?: Tolerance): void {
  const c = compareClose(name, actual, expected.data, tol ?? expected.tolerance);
  if (!c.ok) throw new Error(c.message);
}
