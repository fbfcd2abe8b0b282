import { FormatError, numel, throwIfAborted } from '@titok/core';
import type { StateDict } from '@titok/core';
import { convertTo, storageDTypeFor, storageSize } from '../formats/dtype-convert.js';
import { IO_VERSION } from '../version.js';
import { TFJS_WEIGHTS_FORMAT } from './manifest.js';
import type { TfjsModelJson, TfjsWeightSpec } from './manifest.js';

/** tfjs' converter default: 4 MiB shards (browsers cache them one by one). */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

/** The last segment of a path or URL (no local folders end up in model.json). */
function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}

/** Where {@link writeTfjsWeights} puts its files; `bytes` may be reused after the promise resolves. */
export interface FileSink {
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
}

/** Progress of a conversion. */
export interface WriteProgress {
  /** Bytes written so far (of the output). */
  done: number;
  total: number;
  /** The tensor being written. */
  name: string;
}

/** Options of {@link writeTfjsWeights}. */
export interface TfjsWriteOptions {
  /** Storage of floating-point weights: `float32` (bit-exact) or `float16` (rounded to nearest even). */
  dtype?: 'float32' | 'float16';
  /** Shard size in bytes (default 4 MiB). */
  shardBytes?: number;
  /** Model configuration to embed (the reference config.json dictionary). */
  config?: Record<string, unknown>;
  /** Detected released preset name. */
  preset?: string;
  /** `convertedBy` field (e.g. `titok convert`). */
  convertedBy?: string;
  progress_callback?: (p: WriteProgress) => void;
  signal?: AbortSignal;
}

/**
 * Writes a state dict in the TensorFlow.js weights format: `group1-shard<i>of<n>.bin` files
 * (weights back to back, split every `shardBytes`) and then `model.json` with `format`,
 * `generatedBy`, the config and the `weightsManifest`. Names are the PyTorch keys; float weights
 * are float32, or float16 with tfjs' `quantization: {dtype: 'float16'}`; integer weights int32.
 * Tensors are read one at a time, so memory stays at one tensor plus one shard.
 *
 * @returns the model.json written
 */
export async function writeTfjsWeights(sd: StateDict, sink: FileSink, options: TfjsWriteOptions = {}): Promise<TfjsModelJson> {
  const floats = options.dtype ?? 'float32';
  if (floats !== 'float32' && floats !== 'float16') throw new FormatError(`unsupported storage dtype '${String(floats)}' (float32 or float16)`);
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 1) throw new FormatError(`shard size must be a positive integer, got ${shardBytes}`);

  const specs: TfjsWeightSpec[] = [];
  let total = 0;
  for (const t of sd.tensors.values()) {
    const storage = storageDTypeFor(t.dtype, floats);
    const spec: TfjsWeightSpec = { name: t.name, shape: [...t.shape], dtype: storage === 'float16' ? 'float32' : storage };
    if (storage === 'float16') spec.quantization = { dtype: 'float16', original_dtype: 'float32' };
    specs.push(spec);
    total += numel(t.shape) * storageSize(storage);
  }
  const shardCount = total === 0 ? 0 : Math.ceil(total / shardBytes);
  const paths = Array.from({ length: shardCount }, (_, i) => `group1-shard${i + 1}of${shardCount}.bin`);

  let shard = 0;
  let buf = new Uint8Array(Math.min(shardBytes, total));
  let fill = 0;
  let done = 0;
  const flush = async () => {
    await sink.writeFile(paths[shard]!, buf.subarray(0, fill));
    shard++;
    done += fill;
    buf = new Uint8Array(Math.min(shardBytes, total - done));
    fill = 0;
  };
  let i = 0;
  for (const t of sd.tensors.values()) {
    throwIfAborted(options.signal);
    const spec = specs[i++]!;
    const raw = await t.read();
    if (raw.byteLength !== t.byteLength) throw new FormatError(`tensor '${t.name}': read ${raw.byteLength} bytes, expected ${t.byteLength}`, { file: sd.source });
    const bytes = convertTo(raw, t.dtype, spec.quantization ? 'float16' : spec.dtype, `${sd.source}: tensor '${t.name}'`);
    let p = 0;
    while (p < bytes.byteLength) {
      const n = Math.min(bytes.byteLength - p, buf.byteLength - fill);
      buf.set(bytes.subarray(p, p + n), fill);
      fill += n;
      p += n;
      if (fill === buf.byteLength) await flush();
    }
    options.progress_callback?.({ done: done + fill, total, name: t.name });
  }
  if (shard !== shardCount) throw new FormatError(`internal: wrote ${shard} of ${shardCount} shards`);

  const model: TfjsModelJson = {
    format: TFJS_WEIGHTS_FORMAT,
    generatedBy: `@titok/io ${IO_VERSION}`,
    convertedBy: options.convertedBy ?? null,
    ...(options.preset ? { preset: options.preset } : {}),
    ...(options.config ? { config: options.config } : {}),
    source: { file: baseName(sd.source), format: sd.format, ...(sd.unwrapped ? { unwrapped: sd.unwrapped } : {}) },
    weightsManifest: [{ paths, weights: specs }],
  };
  await sink.writeFile('model.json', new TextEncoder().encode(`${JSON.stringify(model)}\n`));
  return model;
}
