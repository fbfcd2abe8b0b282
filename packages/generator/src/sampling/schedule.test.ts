import { readJson } from '../../../../test/helpers/fixtures.js';
import { gumbelF32 } from './gumbel.js';
import { guidanceScaleAt, maskLength, stepRatio, stepTemperature } from '@titok/core';

interface Run {
  arguments: { guidance_scale: number; guidance_decay: 'constant' | 'linear' | 'power-cosine'; guidance_scale_pow: number; randomize_temperature: number; num_sample_steps: number };
  steps: { step: number; ratio: number; temperature: number; cfg_scale: number; mask_len: number; masked_before: number[] }[];
}

const runs: [string, string, Run][] = ['generator_tiny_bert', 'generator_tiny_uvit'].flatMap((model) =>
  Object.entries(readJson<{ generate_runs: Record<string, Run> }>(model, 'expected.json').generate_runs).map(
    ([name, run]) => [model, name, run] as [string, string, Run],
  ),
);

describe('sampling schedule against the recorded runs', () => {
  it.each(runs)('%s / %s: ratio, temperature, guidance scale and mask length of every step', (_model, _name, run) => {
    const a = run.arguments;
    const S = a.num_sample_steps;
    for (const s of run.steps) {
      expect(stepRatio(s.step, S)).toBe(s.ratio);
      expect(stepTemperature(a.randomize_temperature, s.step, S)).toBe(s.temperature);
      expect(guidanceScaleAt(a.guidance_decay, a.guidance_scale, s.step, S, a.guidance_scale_pow)).toBe(s.cfg_scale);
      expect(maskLength(8, s.step, S, s.masked_before[0]!)).toBe(s.mask_len);
    }
  });

  it('clamps the mask length to [1, masked - 1]', () => {
    expect(maskLength(8, 0, 4, 3)).toBe(2);
    expect(maskLength(8, 3, 4, 8)).toBe(1);
    expect(maskLength(8, 0, 4, 1)).toBe(1);
  });
});

describe('gumbelF32', () => {
  it('is -log(-log(u)) in float32 with both clamps at 1e-20', () => {
    expect(gumbelF32(0.5)).toBe(Math.fround(-Math.fround(Math.log(Math.fround(-Math.fround(Math.log(0.5)))))));
    expect(gumbelF32(0)).toBe(-Math.fround(Math.log(Math.fround(-Math.fround(Math.log(Math.fround(1e-20)))))));
    expect(gumbelF32(1)).toBe(-Math.fround(Math.log(Math.fround(1e-20))));
    expect(Number.isFinite(gumbelF32(1 - 2 ** -24))).toBe(true);
  });
});
