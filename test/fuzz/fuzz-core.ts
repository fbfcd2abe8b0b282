/**
 * The fuzz loop shared by the CI test (2,000+ mutations) and `npm run fuzz` (100,000): mutate a
 * valid fixture file, read it with readCheckpoint, read every tensor and convert it; anything
 * but a TitokError is a failure, reported with the seed and iteration that reproduce it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TitokError } from '@titok/core';
import { bytesSource, detectPreset, readCheckpoint, writeTfjsWeights } from '@titok/io';
import { torchZip } from '../io/helpers/checkpoint-builder.js';
import { mutate, prng } from './mutate.js';
import type { Kind } from './mutate.js';

const FIXTURES = path.resolve(__dirname, '../fixtures');

export interface CorpusFile {
  name: string;
  kind: Kind;
  bytes: Uint8Array;
  /** For model.json: the shard files it names. */
  shards?: Map<string, Uint8Array>;
}

export interface Failure {
  seed: number;
  iteration: number;
  file: string;
  steps: string[];
  error: string;
}

export interface FuzzReport {
  iterations: number;
  accepted: number;
  refused: Record<string, number>;
  failures: Failure[];
  slowest: { ms: number; iteration: number; file: string };
}

/** Valid files of every format to mutate: safetensors, zip (stored, deflated), legacy, model.json. */
export async function corpus(): Promise<CorpusFile[]> {
  const read = (...p: string[]) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, ...p)));
  const files: CorpusFile[] = [
    { name: 'valid_reference.safetensors', kind: 'safetensors', bytes: read('bad/valid_reference.safetensors') },
    { name: 'valid_reference_torch.bin', kind: 'zip', bytes: read('bad/valid_reference_torch.bin') },
    { name: 'generator_tiny_uvit/model.safetensors', kind: 'safetensors', bytes: read('generator_tiny_uvit/model.safetensors') },
    { name: 'titok_tiny_vq_pixel/model.bf16.safetensors', kind: 'safetensors', bytes: read('titok_tiny_vq_pixel/model.bf16.safetensors') },
    { name: 'generator_tiny_bert/pytorch_model.bin', kind: 'zip', bytes: read('generator_tiny_bert/pytorch_model.bin') },
    { name: 'titok_tiny_vq_legacy/pytorch_model_legacy.bin', kind: 'legacy', bytes: read('titok_tiny_vq_legacy/pytorch_model_legacy.bin') },
  ];
  // a deflated zip with views and shared storages, built like torch.save would
  const w = new Float32Array(Array.from({ length: 64 }, (_, i) => i / 7));
  files.push({
    name: 'deflated-views.bin',
    kind: 'zip',
    bytes: await torchZip(
      [{ key: '0', dtype: 'F32', data: new Uint8Array(w.buffer) }],
      [
        { name: 'w', storage: '0', shape: [8, 8] },
        { name: 't', storage: '0', shape: [8, 8], stride: [1, 8] },
        { name: 'b', storage: '0', offset: 8, shape: [4], stride: [2] },
      ],
      { deflate: true, wrap: 'state_dict' },
    ),
  });
  // a tfjs model.json whose two shards come from memory
  const sd = await readCheckpoint(read('bad/valid_reference.safetensors'));
  const shards = new Map<string, Uint8Array>();
  await writeTfjsWeights(sd, { writeFile: async (n, b) => void shards.set(n, b.slice()) }, { shardBytes: 40 });
  const modelJson = shards.get('model.json')!;
  shards.delete('model.json');
  files.push({ name: 'model.json', kind: 'json', bytes: modelJson, shards });
  return files;
}

/** Reads, inspects and converts one (mutated) file as the CLI would. */
async function exercise(f: CorpusFile, bytes: Uint8Array): Promise<void> {
  const sd = await readCheckpoint(bytesSource(bytes, f.name), {
    name: f.name,
    openRelated: f.shards ? async (p) => bytesSource(f.shards!.get(p) ?? new Uint8Array(0), p) : undefined,
  });
  try {
    detectPreset(sd);
    let budget = 64 * 1024 * 1024;
    for (const t of sd.tensors.values()) {
      budget -= t.byteLength;
      if (budget < 0) break;
      const b = await t.read();
      if (b.byteLength !== t.byteLength) throw new Error(`tensor ${t.name}: read ${b.byteLength} bytes, expected ${t.byteLength}`);
    }
    if (budget >= 0) await writeTfjsWeights(sd, { writeFile: async () => {} }, { dtype: bytes.length % 2 ? 'float16' : 'float32', shardBytes: 1024 });
  } finally {
    await sd.close();
  }
}

/**
 * Runs `iterations` mutations from `seed`. `beat` is called before each iteration (a watchdog
 * uses it to tell a hang from slowness).
 */
export async function fuzz(options: { seed: number; iterations: number; start?: number; beat?: (i: number, file: string, steps: string[]) => void }): Promise<FuzzReport> {
  const files = await corpus();
  const report: FuzzReport = { iterations: 0, accepted: 0, refused: {}, failures: [], slowest: { ms: 0, iteration: -1, file: '' } };
  const start = options.start ?? 0;
  for (let i = start; i < start + options.iterations; i++) {
    const rnd = prng((options.seed * 0x9e3779b1) ^ i);
    const f = files[Math.floor(rnd() * files.length)]!;
    const { bytes, steps } = mutate(f.bytes, f.kind, rnd);
    options.beat?.(i, f.name, steps);
    const t = Date.now();
    try {
      await exercise(f, bytes);
      report.accepted++;
    } catch (e) {
      if (e instanceof TitokError && !e.message.includes('\n') && e.message.length <= 1000) report.refused[e.code] = (report.refused[e.code] ?? 0) + 1;
      else report.failures.push({ seed: options.seed, iteration: i, file: f.name, steps, error: (e as Error)?.stack ?? String(e) });
    }
    const ms = Date.now() - t;
    if (ms > report.slowest.ms) report.slowest = { ms, iteration: i, file: f.name };
    report.iterations++;
  }
  return report;
}
