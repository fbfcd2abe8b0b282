import * as fs from 'node:fs';
import * as path from 'node:path';
import { TiTok } from '@titok/tokenizer';
import { str } from './args.js';
import type { CliIO, OptionSpec, ParsedArgs } from './command.js';
import { DEFAULT_MODEL_USAGE, defaultModelPart } from './default-model.js';
import { downloadProgress } from './progress.js';

/** `--model` and `--config` of the commands that load a tokenizer. */
export const MODEL_OPTIONS: OptionSpec = {
  model: { type: 'string', short: 'm' },
  config: { type: 'string' },
};

/** Usage lines for {@link MODEL_OPTIONS}. */
export const MODEL_USAGE = `  --model <src>      released model name (titok-l32, ...), hub repo, URL, or local folder /
                     checkpoint (.safetensors, .bin, model.json); default:
                     ${DEFAULT_MODEL_USAGE} (32x32 images, 32 tokens)
  --config <file>    the model's config.json, when it is not beside the weights`;

function local(io: CliIO, p: string): string {
  const full = path.resolve(io.cwd, p);
  return fs.existsSync(full) ? full : p;
}

/** The `--model` value, or the bundled default model's tokenizer folder when it is not given. */
export function modelArg(args: ParsedArgs, io: Pick<CliIO, 'env' | 'cwd'>): string {
  return str(args, 'model') ?? defaultModelPart('tokenizer', '--model', io.env, io.cwd);
}

/**
 * Loads the tokenizer `--model` names with `TiTok.fromPretrained`, on the backend already
 * selected, with download progress bars on stderr (TTY only). Relative paths are taken from the
 * command's working directory.
 */
export async function loadTokenizer(args: ParsedArgs, parts: 'all' | 'encoder' | 'decoder', io: CliIO): Promise<TiTok> {
  const config = str(args, 'config');
  return TiTok.fromPretrained(local(io, modelArg(args, io)), {
    parts,
    progress_callback: downloadProgress(io.stderr),
    env: io.env,
    ...(config ? { config: local(io, config) } : {}),
  });
}
