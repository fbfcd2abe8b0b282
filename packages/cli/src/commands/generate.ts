import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '@titok/core';
import type { GuidanceDecay } from '@titok/core';
import { RecordedUniformSource, TitokGenerator, assertPairable, resolveClassLabel } from '@titok/generator';
import type { GenerateOptions, GenerationOutput } from '@titok/generator';
import { readCheckpoint } from '@titok/io';
import { fileSource } from '@titok/io/node';
import { TiTok } from '@titok/tokenizer';
import { UsageError, flag, num, str, strs } from '../lib/args.js';
import { BACKEND_OPTIONS, BACKEND_USAGE, startBackend, stopBackend } from '../lib/backend.js';
import type { CliIO, Command, ParsedArgs } from '../lib/command.js';
import { checkWritable, writeImage } from '../lib/image-io.js';
import { DEFAULT_MODEL_USAGE, defaultModelPart } from '../lib/default-model.js';
import { createProgressBar, downloadProgress } from '../lib/progress.js';

const DECAYS: readonly GuidanceDecay[] = ['constant', 'linear', 'power-cosine'];

/** A local path when it exists (relative to the command's folder), else the string as given (names, URLs). */
function local(io: CliIO, p: string): string {
  const full = path.resolve(io.cwd, p);
  return fs.existsSync(full) ? full : p;
}

/** The sampling settings given on the command line; the rest default to the generator's. */
function samplingOptions(args: ParsedArgs): GenerateOptions {
  const o: GenerateOptions = {};
  const steps = num(args, 'steps', { integer: true, min: 1 });
  if (steps !== undefined) o.numSteps = steps;
  const guidance = num(args, 'guidance', { min: 0 });
  if (guidance !== undefined) o.guidanceScale = guidance;
  const decay = str(args, 'guidance-decay');
  if (decay !== undefined) {
    if (!DECAYS.includes(decay as GuidanceDecay)) throw new UsageError(`--guidance-decay must be one of ${DECAYS.join(', ')}, got '${decay}'`);
    o.guidanceDecay = decay as GuidanceDecay;
  }
  const pow = num(args, 'guidance-pow');
  if (pow !== undefined) o.guidanceScalePow = pow;
  const temperature = num(args, 'temperature', { min: 0 });
  if (temperature !== undefined) o.randomizeTemperature = temperature;
  if (flag(args, 'anneal')) o.softmaxTemperatureAnnealing = true;
  const seed = str(args, 'seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed.trim())) throw new UsageError(`--seed must be a non-negative integer, got '${seed}'`);
    o.seed = BigInt(seed.trim()) < BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed.trim()) : BigInt(seed.trim());
  }
  return o;
}

/** `<i>-<label>[-<class name>].png`. */
function imageName(i: number, label: number, name: string | undefined): string {
  const slug = name ? `-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}` : '';
  return `${i}-${label}${slug}.png`;
}

/** What `--json` prints and tokens.json holds (also readable by `titok decode`). */
function report(out: GenerationOutput, files: string[], seed: GenerateOptions['seed'], noise: string | undefined) {
  return {
    tokens: out.tokens,
    steps: out.steps.map((s) => ({ step: s.step, ids: out.labels.map((_, i) => Array.from(s.ids.subarray(i * out.tokens[0]!.length, (i + 1) * out.tokens[0]!.length))) })),
    labels: out.labels,
    ...(noise ? { noise } : { seed: String(seed ?? 0) }),
    settings: out.settings,
    images: out.tokens.map((tokens, i) => ({ file: files[i]!, class: out.labels[i]!, tokens })),
  };
}

const command: Command = {
  name: 'generate',
  summary: 'make images of a class with a TiTok generator (MaskGIT sampling) and its tokenizer',
  usage: `
Usage: titok generate [--generator <src> [--tokenizer <src>]] --class <index|name>... [options]

Samples token sequences for the given classes with the generator and decodes them with the
tokenizer into PNG images, one per sample, written to --out as <n>-<class>[-<name>].png,
with tokens.json beside them. Without --tokenizer only tokens.json is written. The same seed
and settings give the same tokens on every backend. Every setting not given is the
generator's released default.

  --generator <src>        generator: released name (titok-l32-generator, ...), hub repo, URL,
                           folder or checkpoint; default: ${DEFAULT_MODEL_USAGE}
                           (classes: t-shirt/top, trouser, pullover, dress, coat, sandal,
                           shirt, sneaker, bag, ankle boot)
  --tokenizer <src>        the tokenizer it was trained with (titok-l32, ...); without it,
                           tokens only (with the default generator: its own tokenizer)
  --generator-config <f>   the generator's config.json, when it is not beside the weights
  --tokenizer-config <f>   the tokenizer's config.json, when it is not beside the weights
  --class <index|name>     a class: an index (207) or a name, from the model's own class
                           list when it has one (sneaker), else ImageNet's ('golden retriever');
                           repeat for several (required)
  --count <n>              images per class (default 1)
  --seed <s>               seed of the Philox4x32-10 noise (default 0)
  --steps <n>              sampling steps
  --guidance <x>           classifier-free guidance scale (>= 0)
  --guidance-decay <d>     constant, linear or power-cosine
  --guidance-pow <p>       exponent of the power-cosine schedule (default 3)
  --temperature <t>        Gumbel temperature at the start (decays to 0)
  --anneal                 softmax-temperature annealing (the reference's ImageNet evaluation)
  --noise <file>           replay recorded uniforms instead of the seed: a safetensors file with
                           step<i>.uniform_logits (N x L x K) and step<i>.uniform_confidence
                           (N x L), float32, for every step
  --out <dir>              where to write (created if missing; default: the current folder)
  --json                   print {"tokens": [[...]], "steps": [{"step", "ids": [[...]]}], ...}
                           (step ids use the codebook size as the mask id)
  --force                  overwrite existing files
${BACKEND_USAGE}
`,
  options: {
    ...BACKEND_OPTIONS,
    generator: { type: 'string', short: 'g' },
    tokenizer: { type: 'string', short: 't' },
    'generator-config': { type: 'string' },
    'tokenizer-config': { type: 'string' },
    class: { type: 'string', short: 'c', multiple: true },
    count: { type: 'string', short: 'n' },
    seed: { type: 'string', short: 's' },
    steps: { type: 'string' },
    guidance: { type: 'string' },
    'guidance-decay': { type: 'string' },
    'guidance-pow': { type: 'string' },
    temperature: { type: 'string' },
    anneal: { type: 'boolean' },
    noise: { type: 'string' },
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
    force: { type: 'boolean' },
  },
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    const bundled = str(args, 'generator') === undefined;
    const genSrc = str(args, 'generator') ?? defaultModelPart('generator', '--generator', io.env, io.cwd);
    const classes = strs(args, 'class');
    if (classes.length === 0) throw new UsageError("give at least one --class (an index such as 207 or an ImageNet name such as 'golden retriever')");
    if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}' (classes go after --class)`);
    const count = num(args, 'count', { integer: true, min: 1 }) ?? 1;
    const options = samplingOptions(args);
    const noise = str(args, 'noise');
    if (noise && options.seed !== undefined) throw new UsageError('--seed and --noise exclude each other: recorded noise replaces the seeded generator');
    const tokSrc = str(args, 'tokenizer') ?? (bundled ? defaultModelPart('tokenizer', '--tokenizer', io.env, io.cwd) : undefined);
    const force = flag(args, 'force');
    const outDir = str(args, 'out') ?? '.';
    const json = flag(args, 'json');

    await startBackend(args, io);
    let generator: TitokGenerator | undefined;
    let tokenizer: TiTok | undefined;
    try {
      const genConfig = str(args, 'generator-config');
      generator = await TitokGenerator.fromPretrained(local(io, genSrc), {
        progress_callback: downloadProgress(io.stderr),
        env: io.env,
        ...(genConfig ? { config: local(io, genConfig) } : {}),
      });
      const labels = classes.flatMap((c) => new Array<number>(count).fill(resolveClassLabel(c, generator!.numClasses, generator!.config.classNames)));
      if (tokSrc) {
        const tokConfig = str(args, 'tokenizer-config');
        tokenizer = await TiTok.fromPretrained(local(io, tokSrc), {
          parts: 'decoder',
          progress_callback: downloadProgress(io.stderr),
          env: io.env,
          ...(tokConfig ? { config: local(io, tokConfig) } : {}),
        });
        assertPairable(generator, tokenizer);
      }
      const dir = path.resolve(io.cwd, outDir);
      const st = await fsp.stat(dir).catch(() => undefined);
      if (st && !st.isDirectory()) throw new InputError(`--out ${outDir} is a file; give a folder`, { file: outDir });
      const names = labels.map((y, i) => imageName(i, y, generator!.className(y)));
      const files = [...(tokenizer ? names : []), 'tokens.json'].map((f) => path.join(outDir, f));
      if (!st) await fsp.mkdir(dir, { recursive: true });
      await checkWritable(files.slice(0, -1), force, io.cwd);
      if (!force && fs.existsSync(path.resolve(io.cwd, files[files.length - 1]!))) {
        throw new InputError(`${files[files.length - 1]} already exists (add --force to overwrite it)`, { file: files[files.length - 1] });
      }
      if (noise) {
        const sd = await readCheckpoint(await fileSource(path.resolve(io.cwd, noise)), { name: noise });
        try {
          options.uniforms = await RecordedUniformSource.fromStateDict(sd);
        } finally {
          await sd.close();
        }
      }

      const bar = createProgressBar(io.stderr, 'generating', { total: options.numSteps ?? generator.config.sampling.numSteps });
      const out = await generator.generate(labels, { ...options, progress_callback: (p) => bar.update(p.step + 1, p.total) }).finally(() => bar.done());
      const result = report(out, tokenizer ? files : names.map((_, i) => `sample ${i}`), options.seed, noise);
      if (tokenizer) {
        const images = await tokenizer.decode(out.tokens, { output: 'uint8' });
        const [, h, w] = images.shape;
        const bytes = Uint8Array.from(await images.data());
        images.dispose();
        for (const [i, f] of files.slice(0, -1).entries()) {
          await writeImage(f, { data: bytes.subarray(i * h * w * 3, (i + 1) * h * w * 3), width: w, height: h }, { force, cwd: io.cwd });
          const name = generator.className(labels[i]!);
          if (!json) io.stdout.write(`wrote ${f} (${w}x${h}, class ${labels[i]}${name ? ` ${name}` : ''})\n`);
        }
      }
      const tokensFile = files[files.length - 1]!;
      await fsp.writeFile(path.resolve(io.cwd, tokensFile), `${JSON.stringify(result)}\n`, { flag: force ? 'w' : 'wx' });
      if (json) io.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        out.tokens.forEach((t, i) => io.stdout.write(`class ${labels[i]}: ${t.join(' ')}\n`));
        io.stdout.write(`wrote ${tokensFile}${noise ? ` (noise from ${noise})` : ` (seed ${String(options.seed ?? 0)})`}\n`);
      }
      return 0;
    } finally {
      generator?.dispose();
      tokenizer?.dispose();
      await stopBackend();
    }
  },
};

export default command;
