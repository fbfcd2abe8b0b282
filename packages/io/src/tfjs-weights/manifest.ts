import { oneLine } from '../formats/one-line.js';
import { FormatError } from '@titok/core';
import type { StorageDType } from '../formats/dtype-convert.js';

/** The `format` of the model.json files titok-js writes. */
export const TFJS_WEIGHTS_FORMAT = 'titok-weights';

/** One weight of a tfjs weights manifest (tfjs' `WeightsManifestEntry`). */
export interface TfjsWeightSpec {
  /** The PyTorch state-dict key. */
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  /** float16 storage, as tfjs defines it: decoded to float32 on load. */
  quantization?: { dtype: 'float16'; original_dtype?: 'float32' };
}

/** A group of weights stored back to back across its shard files. */
export interface TfjsWeightsGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** The `model.json` of a converted model. */
export interface TfjsModelJson {
  format: string;
  generatedBy: string;
  convertedBy?: string | null;
  /** The released preset the weights were detected as, if any. */
  preset?: string;
  /** The model configuration (the reference's config.json dictionary). */
  config?: Record<string, unknown>;
  /** Where the weights came from. */
  source?: { file: string; format: string; unwrapped?: string };
  weightsManifest: TfjsWeightsGroup[];
}

/** Bytes per stored element of a weight spec. */
export function specStorage(spec: TfjsWeightSpec): StorageDType {
  return spec.quantization ? 'float16' : spec.dtype;
}

const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$/;
const MAX_WEIGHTS = 1_000_000;

/**
 * Parses and validates a model.json: a weights manifest of groups with plain file names (no
 * folders, no `..`), weights with names, non-negative integer shapes, a supported dtype and
 * at most float16 quantization.
 *
 * @throws FormatError naming the file and the offending entry
 */
export function parseModelJson(text: string | unknown, file: string): TfjsModelJson {
  let json: unknown = text;
  if (typeof text === 'string') {
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new FormatError(`model.json is not valid JSON (${oneLine((e as Error).message, 200)})`, { file });
    }
  }
  const j = json as Partial<TfjsModelJson>;
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new FormatError('model.json must be a JSON object', { file });
  if (!Array.isArray(j.weightsManifest)) throw new FormatError('model.json has no weightsManifest list', { file });
  let count = 0;
  const names = new Set<string>();
  j.weightsManifest.forEach((g, gi) => {
    if (!g || typeof g !== 'object' || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new FormatError(`weightsManifest[${gi}] needs 'paths' and 'weights' lists`, { file });
    }
    for (const p of g.paths) {
      if (typeof p !== 'string' || !SAFE_PATH.test(p) || p.includes('..')) {
        throw new FormatError(`weightsManifest[${gi}]: shard path ${JSON.stringify(p)} must be a plain file name`, { file });
      }
    }
    for (const w of g.weights as unknown[]) {
      if (++count > MAX_WEIGHTS) throw new FormatError(`more than ${MAX_WEIGHTS} weights`, { file });
      const s = w as TfjsWeightSpec;
      if (!s || typeof s !== 'object' || typeof s.name !== 'string') throw new FormatError(`weightsManifest[${gi}]: a weight has no name`, { file });
      if (names.has(s.name)) throw new FormatError(`weight '${s.name}' appears twice`, { file });
      names.add(s.name);
      if (!Array.isArray(s.shape) || s.shape.length > 64 || !s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new FormatError(`weight '${s.name}': shape must be a list of non-negative integers`, { file });
      }
      if (s.dtype !== 'float32' && s.dtype !== 'int32' && s.dtype !== 'bool') {
        throw new FormatError(`weight '${s.name}': unsupported dtype ${JSON.stringify(s.dtype)}`, { file });
      }
      if (s.quantization !== undefined) {
        const q = s.quantization as { dtype?: unknown };
        if (!q || q.dtype !== 'float16' || s.dtype !== 'float32') {
          throw new FormatError(`weight '${s.name}': only float16 quantization of float32 weights is supported, got ${JSON.stringify(q?.dtype)}`, { file });
        }
      }
    }
  });
  return j as TfjsModelJson;
}
