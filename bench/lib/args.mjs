/** Command-line options shared by `bench/run.mjs` and `bench/browser.mjs`. */

export const STAGES = ['encode', 'decode', 'reconstruct', 'generator-step', 'generate'];
export const BACKENDS = ['wasm', 'cpu', 'webgpu'];

/** `--x a,b --x c` -> ['a', 'b', 'c']. */
export const list = (v) => (v ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

/** The options both scripts take (parseArgs spec). */
export const COMMON_OPTIONS = {
  preset: { type: 'string', multiple: true },
  stage: { type: 'string', multiple: true },
  backend: { type: 'string', multiple: true },
  batch: { type: 'string', multiple: true },
  runs: { type: 'string', default: '3' },
  'budget-s': { type: 'string', default: '120' },
  json: { type: 'string' },
};

/**
 * Checks and converts the common options; `fail(message)` is called for a bad one.
 * `backends` lists which backends the script runs at all.
 */
export function commonArgs(values, fail, backends = BACKENDS) {
  const stages = list(values.stage);
  for (const s of stages) if (!STAGES.includes(s)) fail(`unknown stage '${s}' (expected one of: ${STAGES.join(', ')})`);
  const backendsAsked = list(values.backend);
  for (const b of backendsAsked) if (!backends.includes(b)) fail(`unknown backend '${b}' (expected one of: ${backends.join(', ')})`);
  const batches = list(values.batch).map(Number);
  if (batches.some((n) => !Number.isInteger(n) || n < 1)) fail('--batch takes positive integers');
  const runs = Number(values.runs);
  const budgetS = Number(values['budget-s']);
  if (!Number.isInteger(runs) || runs < 1) fail('--runs takes a positive integer');
  if (!(budgetS > 0)) fail('--budget-s takes a positive number');
  return { presets: list(values.preset), stages, backendsAsked, batches, runs, budgetS };
}
