import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './args.js';

/** The name of the model the CLI uses when no `--model` / `--generator` is given. */
export const DEFAULT_MODEL_NAME = 'fashion-mnist';

/** What the default model is, for usage texts. */
export const DEFAULT_MODEL_USAGE = 'the bundled Fashion-MNIST model';

/**
 * The folder of the bundled default model (`tokenizer/` and `generator/` inside), shipped in the
 * package as `models/fashion-mnist/`. Found through `TITOK_CLI_ROOT` (the package folder, set by
 * the `titok` launcher), else by looking for `packages/cli` or `node_modules/@titok/cli` above
 * the working directory. Undefined when it is nowhere.
 */
export function defaultModelDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const roots: string[] = [];
  if (env.TITOK_CLI_ROOT) roots.push(env.TITOK_CLI_ROOT);
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    roots.push(path.join(dir, 'packages', 'cli'), path.join(dir, 'node_modules', '@titok', 'cli'));
    if (path.dirname(dir) === dir) break;
  }
  for (const root of roots) {
    const dir = path.join(root, 'models', DEFAULT_MODEL_NAME);
    if (fs.existsSync(path.join(dir, 'tokenizer', 'config.json'))) return dir;
  }
  return undefined;
}

/**
 * The folder of one part of the default model.
 *
 * @throws UsageError naming the option to give when the bundled model cannot be found
 */
export function defaultModelPart(part: 'tokenizer' | 'generator', option: string, env?: NodeJS.ProcessEnv, cwd?: string): string {
  const dir = defaultModelDir(env, cwd);
  if (!dir) throw new UsageError(`${option} is required: the bundled default model (models/${DEFAULT_MODEL_NAME} of @titok/cli) was not found`);
  return path.join(dir, part);
}
