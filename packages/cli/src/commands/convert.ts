import * as path from 'node:path';
import { CancelledError, numel } from '@titok/core';
import { openModelSource } from '@titok/io';
import { writeTfjsFolder } from '@titok/io/node';
import { UsageError, flag, str } from '../lib/args.js';
import type { CliIO, Command, ParsedArgs } from '../lib/command.js';
import { createProgressBar } from '../lib/progress.js';

const VERSION = '0.1.0';

const resolve = (io: CliIO, p: string) => (/^https?:\/\//i.test(p) ? p : path.resolve(io.cwd, p));

const convert: Command = {
  name: 'convert',
  summary: 'convert a checkpoint (.safetensors, .bin, legacy .bin) to TensorFlow.js weights',
  usage: `
Usage: titok convert <checkpoint | folder | URL> --out <dir> [--config config.json]
                     [--dtype float32|float16] [--force]

Writes <dir>/model.json, 4 MB weight shards (tensor names are the PyTorch keys) and
config.json, so the folder loads with no extra argument. Everything is written to a temporary
folder first and renamed into place when complete: an interrupted conversion leaves nothing.

  --out      output folder (refused when not empty, unless --force)
  --config   the model's config.json (needed unless the weights are a released model's, or a
             config.json sits beside them)
  --dtype    float32 (default, bit-exact) or float16 (rounded to nearest even)
  --force    replace a folder that is not empty
  --debug    print the stack trace of an error
`,
  options: { out: { type: 'string', short: 'o' }, config: { type: 'string' }, dtype: { type: 'string' }, force: { type: 'boolean' } },
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    if (args.positionals.length !== 1) throw new UsageError('convert needs exactly one checkpoint, folder or URL');
    const outArg = str(args, 'out');
    if (!outArg) throw new UsageError('convert needs --out <dir>');
    const dtype = str(args, 'dtype') ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float16') throw new UsageError(`--dtype must be float32 or float16, got '${dtype}'`);
    const input = resolve(io, args.positionals[0]!);
    const configArg = str(args, 'config');
    const config = configArg ? resolve(io, configArg) : undefined;
    const out = path.resolve(io.cwd, outArg);

    const model = await openModelSource(input, config ? { config } : {});
    const controller = new AbortController();
    const onSignal = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const sd = model.stateDict;
      if (sd.unwrapped) io.stderr.write(`titok: note: ${sd.source}: the state dict was wrapped; using the one under '${sd.unwrapped}'\n`);
      const bar = createProgressBar(io.stderr, 'converting', { unit: 'bytes' });
      const written = await writeTfjsFolder(sd, out, {
        dtype,
        force: flag(args, 'force'),
        configJson: model.configJson,
        preset: model.preset?.name,
        convertedBy: `titok convert (@titok/cli ${VERSION})`,
        protect: [input, ...(config ? [config] : [])].filter((p) => !/^https?:/i.test(p)),
        signal: controller.signal,
        progress_callback: (p) => bar.update(p.done, p.total),
      });
      bar.done();
      const parameters = [...sd.tensors.values()].reduce((s, t) => s + numel(t.shape), 0);
      const shards = written.model.weightsManifest[0]?.paths.length ?? 0;
      io.stdout.write(
        `wrote ${written.dir}: ${sd.tensors.size} tensors, ${parameters.toLocaleString('en-US')} parameters, ` +
          `${shards} shard${shards === 1 ? '' : 's'}, ${(written.bytes / 1024 / 1024).toFixed(1)} MB (${dtype}); ` +
          `config from ${model.configFile ?? 'none'}${model.preset ? `; preset ${model.preset.name}` : ''}\n`,
      );
      return 0;
    } catch (e) {
      if (controller.signal.aborted && !(e instanceof CancelledError)) throw new CancelledError('interrupted; nothing was written');
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await model.close();
    }
  },
};

export default convert;
