import type { ParseArgsConfig } from 'node:util';

/** Where a command writes; injectable so tests can capture output. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Environment (defaults to process.env). */
  env: NodeJS.ProcessEnv;
  /** Working directory for relative paths. */
  cwd: string;
  /** Where confirmations are read from (defaults to process.stdin). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Options of one command, in `node:util` parseArgs form. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed arguments handed to a command. */
export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
}

/** One `titok <name>` command. Each lives in its own file under `commands/`. */
export interface Command {
  name: string;
  /** One line for `titok --help`. */
  summary: string;
  /** Usage text shown by `titok <name> --help`. */
  usage: string;
  options: OptionSpec;
  /** Runs the command; resolves to the exit code. Throw TitokError for user errors. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
