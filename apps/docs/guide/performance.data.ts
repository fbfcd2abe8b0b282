/**
 * Build-time data of the performance page: the rows of the last `npm run bench` written to
 * `public/bench/latest.json` (`npm run bench -- --json apps/docs/public/bench/latest.json`), or
 * none when that file is missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineLoader } from 'vitepress';

export interface BenchRow {
  preset: string;
  stage: string;
  backend: string;
  batch: number;
  threads: number;
  ms_per_image: number;
  spread_pct: number;
  gflops: number | null;
  matmul_gflops: number;
  efficiency: number | null;
  peak_rss_mb: number | null;
  wasm_heap_mb: number | null;
  load_ms: number | null;
  runs: number;
  env?: string;
}

export interface BenchData {
  rows: BenchRow[];
}

declare const data: BenchData;
export { data };

export default defineLoader({
  watch: ['../public/bench/latest.json'],
  load(): BenchData {
    const file = path.resolve(__dirname, '../public/bench/latest.json');
    if (!fs.existsSync(file)) return { rows: [] };
    return { rows: JSON.parse(fs.readFileSync(file, 'utf8')) as BenchRow[] };
  },
});
