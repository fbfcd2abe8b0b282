import { InputError, toFloat32 } from '@titok/core';
import type { StateDict } from '@titok/core';
import type { UniformDraw, UniformSource } from './uniform-source.js';

/** The two recorded draws of one sampling step. */
export interface RecordedStep {
  /** `step<i>.uniform_logits`, N x L x K. */
  logits: Float32Array;
  logitsShape: readonly number[];
  /** `step<i>.uniform_confidence`, N x L. */
  confidence: Float32Array;
  confidenceShape: readonly number[];
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * A {@link UniformSource} that replays recorded draws instead of generating them: step i's
 * `logits` request gets `steps[i].logits`, its `confidence` request `steps[i].confidence`.
 * Shapes are checked against what the sampler asks for; a missing step or a wrong shape is an
 * {@link InputError} naming it. With the draws the reference recorded, the sampler reproduces the
 * reference's token ids exactly.
 */
export class RecordedUniformSource implements UniformSource {
  constructor(
    readonly steps: readonly RecordedStep[],
    private readonly source = 'the recorded noise',
  ) {}

  next(draw: UniformDraw): Float32Array {
    const rec = this.steps[draw.step];
    if (!rec) {
      throw new InputError(`${this.source} has ${this.steps.length} step(s) but sampling needs step ${draw.step}: record at least as many steps as --steps`);
    }
    const [data, shape] = draw.kind === 'logits' ? [rec.logits, rec.logitsShape] : [rec.confidence, rec.confidenceShape];
    if (!same(shape, draw.shape)) {
      throw new InputError(
        `${this.source}: step${draw.step}.uniform_${draw.kind} is ${fmt(shape)} but sampling needs ${fmt(draw.shape)} (batch x tokens${draw.kind === 'logits' ? ' x codebook' : ''})`,
      );
    }
    return data;
  }

  /**
   * Reads recorded draws from a state dict (e.g. a safetensors file) holding
   * `<prefix>step<i>.uniform_logits` and `<prefix>step<i>.uniform_confidence` (float32) for
   * i = 0, 1, ... Without `prefix`, the one prefix the file uses is found (the empty one for
   * files the CLI's `--noise` takes; `generate.<run>.` in the fixtures' expected.safetensors).
   *
   * @throws InputError when the file holds no such draws, several runs, a gap or a non-float32 draw
   */
  static async fromStateDict(sd: StateDict, options: { prefix?: string } = {}): Promise<RecordedUniformSource> {
    let prefix = options.prefix;
    if (prefix === undefined) {
      const prefixes = [...sd.tensors.keys()].filter((k) => k.endsWith('step0.uniform_logits')).map((k) => k.slice(0, -'step0.uniform_logits'.length));
      if (prefixes.length === 0) throw new InputError(`${sd.source}: no recorded noise: the file has no step0.uniform_logits tensor`);
      if (prefixes.length > 1) {
        throw new InputError(`${sd.source}: the file holds several recorded runs (${prefixes.map((p) => `${p}step0.*`).join(', ')}); pass one prefix`);
      }
      prefix = prefixes[0]!;
    }
    const steps: RecordedStep[] = [];
    for (let i = 0; ; i++) {
      const lk = `${prefix}step${i}.uniform_logits`;
      const ck = `${prefix}step${i}.uniform_confidence`;
      const lt = sd.tensors.get(lk);
      const ct = sd.tensors.get(ck);
      if (!lt && !ct) break;
      if (!lt || !ct) throw new InputError(`${sd.source}: ${lt ? ck : lk} is missing (every step needs both draws)`);
      for (const t of [lt, ct]) {
        if (t.dtype !== 'F32') throw new InputError(`${sd.source}: ${t.name} is ${t.dtype}; recorded uniforms must be F32`);
      }
      steps.push({
        logits: toFloat32(await lt.read(), 'F32', lk),
        logitsShape: [...lt.shape],
        confidence: toFloat32(await ct.read(), 'F32', ck),
        confidenceShape: [...ct.shape],
      });
    }
    if (steps.length === 0) throw new InputError(`${sd.source}: no ${prefix}step0.uniform_logits tensor`);
    return new RecordedUniformSource(steps, sd.source);
  }
}
