/** The benchmark's text table. */
const COLUMNS = [
  ['preset', 22, (r) => r.preset],
  ['stage', 30, (r) => r.stage],
  ['backend', 7, (r) => r.backend],
  ['thr', 3, (r) => r.threads],
  ['batch', 5, (r) => r.batch],
  ['ms/image', 10, (r) => r.ms_per_image],
  ['±%', 5, (r) => r.spread_pct],
  ['GFLOP/s', 8, (r) => r.gflops ?? '-'],
  ['matmul', 7, (r) => r.matmul_gflops],
  ['eff', 5, (r) => (r.efficiency === null || r.efficiency === undefined ? '-' : `${Math.round(100 * r.efficiency)}%`)],
  ['RSS MB', 7, (r) => r.peak_rss_mb],
  ['heap MB', 7, (r) => r.wasm_heap_mb ?? '-'],
  ['load s', 6, (r) => (r.load_ms === null || r.load_ms === undefined ? '-' : (r.load_ms / 1000).toFixed(1))],
  ['runs', 4, (r) => r.runs],
];

const cell = (v, w, left) => {
  const s = String(v ?? '');
  return left ? s.padEnd(w) : s.padStart(w);
};

/** Prints rows (and the header line first when asked). */
export function printTable(rows, { header }) {
  const lines = [];
  if (header) {
    lines.push(COLUMNS.map(([h, w], i) => cell(h, w, i < 3)).join(' '));
    lines.push(COLUMNS.map(([, w]) => '-'.repeat(w)).join(' '));
  }
  for (const r of rows) lines.push(COLUMNS.map(([, w, f], i) => cell(f(r), w, i < 3)).join(' '));
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
}
