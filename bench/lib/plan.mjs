/** Which jobs a bench invocation runs. */
import { getPreset } from '@titok/core';

export const DEFAULT_PRESETS = [
  'titok_s128',
  'titok_b64',
  'titok_l32',
  'titok_bl64_vq8k',
  'generator_titok_s128',
  'generator_titok_b64',
  'generator_titok_l32',
];
const TOKENIZER_STAGES = ['encode', 'decode', 'reconstruct'];
const GENERATOR_STAGES = ['generator-step', 'generate'];

/**
 * One job per (backend, thread setting, preset), with the stages that apply to the preset's
 * kind. Unknown presets are an error.
 */
export function defaultJobs({ presets, stages, batches, backends, threads, runs, budgetS }) {
  const names = presets.length ? presets : DEFAULT_PRESETS;
  const jobs = [];
  for (const backend of backends) {
    for (const t of backend === 'wasm' && threads.length ? threads : ['auto']) {
      for (const name of names) {
        let preset;
        try {
          preset = getPreset(name);
        } catch (e) {
          throw new Error(`unknown preset '${name}': ${e.message}`);
        }
        const own = preset.kind === 'generator' ? GENERATOR_STAGES : TOKENIZER_STAGES;
        const st = (stages.length ? stages : own).filter((s) => own.includes(s));
        if (!st.length) continue;
        jobs.push({
          kind: 'model',
          backend,
          threads: t === 'auto' ? 'auto' : Number(t),
          preset: preset.name,
          stages: st,
          batches: batches.length ? batches : [1, 4],
          runs,
          budgetS,
        });
      }
    }
  }
  return jobs;
}

/** The attention shapes [T, D, heads, sequences per image] of the jobs' models. */
export function microShapes(jobs, backend) {
  const seen = new Map();
  for (const job of jobs) {
    if (job.backend !== backend) continue;
    const c = getPreset(job.preset).config;
    if (c.type === 'titok') {
      const ge = Math.floor(c.imageSize / c.patchSize);
      const gd = Math.floor(c.imageSize / c.decoderPatchSize);
      for (const [t, dims] of [[ge * ge + 1 + c.numLatentTokens, c.encoder], [gd * gd + 1 + c.numLatentTokens, c.decoder]]) {
        seen.set(`${t},${dims.width}`, [t, dims.width, dims.numHeads, 1]);
      }
    } else if (c.type === 'generator') {
      seen.set(`${c.imageSeqLen + 1},${c.hiddenSize},g`, [c.imageSeqLen + 1, c.hiddenSize, c.numAttentionHeads, 2]);
    }
  }
  return { attention: [...seen.values()], conv: true };
}
