/**
 * Shared loading for the generator parity tests: the tiny fixture generators with their
 * configs, expected tensors and recorded runs.
 */
import * as fs from 'node:fs';
import { parseModelConfig } from '@titok/core';
import type { GeneratorConfig, SamplingDefaults } from '@titok/core';
import { readSafetensors } from '@titok/io';
import { RecordedUniformSource, loadGeneratorNetwork } from '@titok/generator';
import type { GeneratorNetwork } from '@titok/generator';
import { fixturePath, loadExpected, readJson } from '../helpers/fixtures.js';
import type { ExpectedTensor } from '../helpers/fixtures.js';

export const GENERATOR_FIXTURES = ['generator_tiny_bert', 'generator_tiny_uvit'] as const;
export type GeneratorFixture = (typeof GENERATOR_FIXTURES)[number];

/** One recorded `generate()` run of expected.json. */
export interface RecordedRun {
  arguments: {
    guidance_scale: number;
    guidance_decay: SamplingDefaults['guidanceDecay'];
    guidance_scale_pow: number;
    randomize_temperature: number;
    softmax_temperature_annealing: boolean;
    num_sample_steps: number;
  };
  labels: number[];
  final_ids: number[][];
}

export function generatorConfig(model: GeneratorFixture): GeneratorConfig {
  const file = fixturePath(model, 'config.json');
  return parseModelConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file).generator!;
}

export async function loadFixtureNetwork(model: GeneratorFixture): Promise<GeneratorNetwork> {
  const file = fixturePath(model, 'model.safetensors');
  const sd = await readSafetensors(fs.readFileSync(file), file);
  return loadGeneratorNetwork(generatorConfig(model), sd);
}

export function recordedRuns(model: GeneratorFixture): [string, RecordedRun][] {
  return Object.entries(readJson<{ generate_runs: Record<string, RecordedRun> }>(model, 'expected.json').generate_runs);
}

/** The run's arguments as sampling options. */
export function runSettings(run: RecordedRun) {
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

/** The run's recorded uniform draws, replayed. */
export function recordedUniforms(ex: Map<string, ExpectedTensor>, runName: string, steps: number): RecordedUniformSource {
  const t = (k: string) => ex.get(`generate.${runName}.${k}`)!;
  return new RecordedUniformSource(
    Array.from({ length: steps }, (_, i) => ({
      logits: t(`step${i}.uniform_logits`).data as Float32Array,
      logitsShape: t(`step${i}.uniform_logits`).shape,
      confidence: t(`step${i}.uniform_confidence`).data as Float32Array,
      confidenceShape: t(`step${i}.uniform_confidence`).shape,
    })),
  );
}

export { loadExpected };
