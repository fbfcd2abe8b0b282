import { CancelledError, InputError } from '@titok/core';
import type { SamplingDefaults } from '@titok/core';
import { expectClose, loadExpected, readJson } from '../../../../test/helpers/fixtures.js';
import type { ExpectedTensor } from '../../../../test/helpers/fixtures.js';
import { sampleMaskGit } from './maskgit-sampler.js';
import type { LogitsModel } from './maskgit-sampler.js';
import { RecordedUniformSource } from './recorded-uniforms.js';

interface Run {
  arguments: { guidance_scale: number; guidance_decay: SamplingDefaults['guidanceDecay']; guidance_scale_pow: number; randomize_temperature: number; softmax_temperature_annealing: boolean; num_sample_steps: number };
  labels: number[];
  final_ids: number[][];
}

const MODELS = ['generator_tiny_bert', 'generator_tiny_uvit'] as const;
const expected = new Map<string, Map<string, ExpectedTensor>>();
beforeAll(async () => {
  for (const m of MODELS) expected.set(m, await loadExpected(m));
});

const cases = MODELS.flatMap((m) => Object.keys(readJson(m, 'expected.json').generate_runs).map((r) => [m, r] as const));

function settingsOf(run: Run): SamplingDefaults {
  const a = run.arguments;
  return {
    numSteps: a.num_sample_steps,
    guidanceScale: a.guidance_scale,
    guidanceDecay: a.guidance_decay,
    guidanceScalePow: a.guidance_scale_pow,
    randomizeTemperature: a.randomize_temperature,
    softmaxTemperatureAnnealing: a.softmax_temperature_annealing,
  };
}

/** A "network" that answers each step with the logits the reference recorded at that step. */
function recordedModel(ex: Map<string, ExpectedTensor>, prefix: string): LogitsModel & { calls: number } {
  const m = {
    codebookSize: 64,
    imageSeqLen: 8,
    numClasses: 10,
    calls: 0,
    async logits(ids: Int32Array, classTokens: Int32Array): Promise<Float32Array> {
      const step = m.calls++;
      const idsIn = ex.get(`${prefix}step${step}.ids_in`)!.data;
      const n = idsIn.length / 8;
      const cond = ex.get(`${prefix}step${step}.cond_logits`)!.data as Float32Array;
      const uncond = ex.get(`${prefix}step${step}.uncond_logits`)?.data as Float32Array | undefined;
      expect(Array.from(ids.subarray(0, n * 8))).toEqual(Array.from(idsIn));
      expect(classTokens.length).toBe(uncond ? 2 * n : n);
      if (!uncond) return cond.slice();
      expect(Array.from(ids.subarray(n * 8))).toEqual(Array.from(idsIn));
      expect(Array.from(classTokens.subarray(n))).toEqual(new Array(n).fill(75));
      const out = new Float32Array(2 * cond.length);
      out.set(cond);
      out.set(uncond, cond.length);
      return out;
    },
  };
  return m;
}

describe('MaskGIT sampler fed with the recorded logits and uniforms', () => {
  it.each(cases)('%s / %s reproduces ids_out after every step, the guided logits and final_ids', async (model, runName) => {
    const ex = expected.get(model)!;
    const run = readJson<{ generate_runs: Record<string, Run> }>(model, 'expected.json').generate_runs[runName]!;
    const prefix = `generate.${runName}.`;
    const steps = run.arguments.num_sample_steps;
    const uniforms = new RecordedUniformSource(
      Array.from({ length: steps }, (_, i) => ({
        logits: ex.get(`${prefix}step${i}.uniform_logits`)!.data as Float32Array,
        logitsShape: ex.get(`${prefix}step${i}.uniform_logits`)!.shape,
        confidence: ex.get(`${prefix}step${i}.uniform_confidence`)!.data as Float32Array,
        confidenceShape: ex.get(`${prefix}step${i}.uniform_confidence`)!.shape,
      })),
    );
    const net = recordedModel(ex, prefix);
    const seen: number[] = [];
    const result = await sampleMaskGit(net, run.labels, settingsOf(run), {
      uniforms,
      progress_callback: (p) => {
        seen.push(p.step);
        expect(p.total).toBe(steps);
        expect(p.tokens.flat()).toEqual(Array.from(ex.get(`${prefix}step${p.step}.ids_out`)!.data));
        const guided = ex.get(`${prefix}step${p.step}.guided_logits`)!;
        expectClose(`${prefix}step${p.step}.guided_logits`, p.guidedLogits, guided);
      },
    });
    expect(seen).toEqual(Array.from({ length: steps }, (_, i) => i));
    expect(net.calls).toBe(steps);
    result.steps.forEach((s, i) => expect(Array.from(s.ids)).toEqual(Array.from(ex.get(`${prefix}step${i}.ids_out`)!.data)));
    expect(Array.from(result.ids)).toEqual(run.final_ids.flat());
    expect(Array.from(ex.get(`${prefix}final_ids`)!.data)).toEqual(run.final_ids.flat());
  });
});

describe('sampler checks', () => {
  const defaults: SamplingDefaults = { numSteps: 3, guidanceScale: 2, guidanceDecay: 'linear', guidanceScalePow: 3, randomizeTemperature: 2, softmaxTemperatureAnnealing: false };
  const flat: LogitsModel = {
    codebookSize: 4,
    imageSeqLen: 5,
    numClasses: 3,
    async logits(ids) {
      return new Float32Array((ids.length / 5) * 5 * 4);
    },
  };

  it.each([
    [[3], {}, /class label 3 is out of range/],
    [[-1], {}, /class label -1/],
    [[0.5], {}, /class label 0.5/],
    [[], {}, /no class labels/],
    [[0], { numSteps: 0 }, /steps must be an integer of at least 1/],
    [[0], { numSteps: 2.5 }, /steps/],
    [[0], { guidanceScale: -1 }, /guidance scale must be a finite number >= 0/],
    [[0], { randomizeTemperature: Number.NaN }, /temperature/],
    [[0], { guidanceDecay: 'cosine' as never }, /guidance decay must be one of/],
  ])('labels %j with %j is refused', async (labels, opts, message) => {
    const p = sampleMaskGit(flat, labels, defaults, opts);
    await expect(p).rejects.toThrow(InputError);
    await expect(sampleMaskGit(flat, labels, defaults, opts)).rejects.toThrow(message);
  });

  it('decides every position, gives ids in [0, K) and is deterministic for a seed', async () => {
    const a = await sampleMaskGit(flat, [0, 2], defaults, { seed: 5 });
    const b = await sampleMaskGit(flat, [0, 2], defaults, { seed: 5 });
    const c = await sampleMaskGit(flat, [0, 2], defaults, { seed: 6 });
    expect(a.shape).toEqual([2, 5]);
    expect(Array.from(a.ids).every((v) => v >= 0 && v < 4)).toBe(true);
    expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
    expect(Array.from(a.ids)).not.toEqual(Array.from(c.ids));
  });

  it('stops with CancelledError when the signal aborts between steps', async () => {
    const ctrl = new AbortController();
    const done: number[] = [];
    const p = sampleMaskGit(flat, [1], defaults, {
      signal: ctrl.signal,
      progress_callback: (s) => {
        done.push(s.step);
        if (s.step === 0) ctrl.abort();
      },
    });
    await expect(p).rejects.toThrow(CancelledError);
    expect(done).toEqual([0]);
    const aborted = AbortSignal.abort();
    await expect(sampleMaskGit(flat, [1], defaults, { signal: aborted })).rejects.toThrow(CancelledError);
  });

  it('refuses a uniform source that answers with the wrong size or values outside [0, 1)', async () => {
    await expect(sampleMaskGit(flat, [1], defaults, { uniforms: { next: () => new Float32Array(3) } })).rejects.toThrow(/gave 3 numbers/);
    await expect(
      sampleMaskGit(flat, [1], defaults, { uniforms: { next: (d) => new Float32Array(d.shape.reduce((x, y) => x * y, 1)).fill(1) } }),
    ).rejects.toThrow(/not in \[0, 1\)/);
  });

  it('names the step when recorded noise runs out or has the wrong shape', async () => {
    const one = { logits: new Float32Array(20), logitsShape: [1, 5, 4], confidence: new Float32Array(5), confidenceShape: [1, 5] };
    await expect(sampleMaskGit(flat, [1], defaults, { uniforms: new RecordedUniformSource([one]) })).rejects.toThrow(/has 1 step\(s\) but sampling needs step 1/);
    await expect(sampleMaskGit(flat, [1, 2], defaults, { uniforms: new RecordedUniformSource([one]) })).rejects.toThrow(
      /step0.uniform_logits is \[1, 5, 4\] but sampling needs \[2, 5, 4\]/,
    );
  });
});
