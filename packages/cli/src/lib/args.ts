import { parseArgs } from 'node:util';
import { TitokError } from '@titok/core';
import type { OptionSpec, ParsedArgs } from './command.js';

/** A command line that cannot be understood (unknown option, missing value). */
export class UsageError extends TitokError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Options every command accepts. */
export const COMMON_OPTIONS: OptionSpec = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
};

/** Parses argv for a command, turning parseArgs' errors into one-line UsageErrors. */
export function parseCommandArgs(argv: string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** Reads a string option, or undefined. */
export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** Reads a repeatable string option as a list. */
export function strs(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Reads a numeric option, refusing what is not a finite number. */
export function num(args: ParsedArgs, name: string, check?: { integer?: boolean; min?: number }): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
  if (check?.integer && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${v}'`);
  if (check?.min !== undefined && n < check.min) throw new UsageError(`--${name} must be at least ${check.min}, got ${v}`);
  return n;
}

/** Reads a boolean flag. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
