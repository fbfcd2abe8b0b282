/**
 * The tiny BERT and U-ViT generators against the reference: forward passes (class kept and
 * dropped) with every recorded intermediate, and every recorded sampling run replayed with its
 * recorded uniforms, on each backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '@titok/core';
import { buildSequence, classTokenId, noClassTokenId, sampleMaskGit } from '@titok/generator';
import type { GeneratorNetwork } from '@titok/generator';
import { releaseTestBackend, useTestBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/fixtures.js';
import type { ExpectedTensor } from '../helpers/fixtures.js';
import { GENERATOR_FIXTURES, loadExpected, loadFixtureNetwork, recordedRuns, recordedUniforms, runSettings } from './generator-fixtures.js';

/** Backends every parity check runs on (webgpu: Dawn, with SwiftShader where there is no GPU). */
const BACKENDS: BackendName[] = ['cpu', 'wasm', 'webgpu'];

afterAll(() => releaseTestBackend());

describe.each(BACKENDS)('generator parity on %s', (backend) => {
  describe.each(GENERATOR_FIXTURES)('%s', (model) => {
    let net: GeneratorNetwork;
    let ex: Map<string, ExpectedTensor>;

    beforeAll(async () => {
      await useTestBackend(backend);
      ex = await loadExpected(model);
      net = await loadFixtureNetwork(model);
    });
    afterAll(() => net?.disposeAll());

    it.each(['cond', 'uncond'] as const)('forward (%s): sequence, every recorded intermediate and the logits', async (which) => {
      const ids = ex.get('inputs.input_ids')!.data as Int32Array;
      const labels = Array.from(ex.get('inputs.condition')!.data);
      const K = net.codebookSize;
      const tokens = Int32Array.from(labels, (y) => (which === 'cond' ? classTokenId(K, y) : noClassTokenId(K, net.numClasses)));
      const seq = buildSequence(ids, tokens, net.imageSeqLen);
      expect(Array.from(seq)).toEqual(Array.from(ex.get(`forward.${which}.sequence`)!.data));
      const prefix = `forward.${which}.`;
      const wanted = [...ex.keys()].filter((k) => k.startsWith(prefix) && !k.endsWith('.sequence') && !k.endsWith('.logits'));
      expect(wanted.length).toBeGreaterThan(4);
      const before = tf.memory().numTensors;
      // Taps keep copies, read after the pass (webgpu has no synchronous readback in Node).
      const taps = new Map<string, tf.Tensor>();
      const logits = tf.tidy(() =>
        net.forwardSequence(tf.tensor2d(seq, [labels.length, net.imageSeqLen + 1], 'int32'), (name, value) => {
          if (ex.has(prefix + name)) taps.set(prefix + name, tf.keep(tf.clone(value)));
        }),
      );
      for (const [name, t] of taps) {
        expect([name, t.shape]).toEqual([name, ex.get(name)!.shape]);
        expectClose(`${backend} ${name}`, await t.data(), ex.get(name)!);
        t.dispose();
      }
      expect(logits.shape).toEqual(ex.get(`${prefix}logits`)!.shape);
      expectClose(`${backend} ${prefix}logits`, await logits.data(), ex.get(`${prefix}logits`)!);
      logits.dispose();
      expect([...taps.keys()].sort()).toEqual(wanted.sort());
      expect(tf.memory().numTensors).toBe(before);
    });

    it.each(recordedRuns(model))('run %s: replaying the recorded uniforms gives ids_out after every step and final_ids', async (runName, run) => {
      const steps = run.arguments.num_sample_steps;
      const result = await sampleMaskGit(net, run.labels, net.config.sampling, {
        ...runSettings(run),
        uniforms: recordedUniforms(ex, runName, steps),
        progress_callback: (p) => {
          expectClose(`${backend} ${runName} step${p.step}.guided_logits`, p.guidedLogits, ex.get(`generate.${runName}.step${p.step}.guided_logits`)!);
        },
      });
      expect(result.steps.length).toBe(steps);
      result.steps.forEach((s, i) => {
        expect([i, Array.from(s.ids)]).toEqual([i, Array.from(ex.get(`generate.${runName}.step${i}.ids_out`)!.data)]);
      });
      expect(Array.from(result.ids)).toEqual(run.final_ids.flat());
    });
  });
});
