import { TitokError } from '@titok/core';
import { COMMANDS } from './commands/index.js';
import { UsageError, parseCommandArgs } from './lib/args.js';
import type { CliIO } from './lib/command.js';

const VERSION = '0.1.0';

function helpText(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length), 8);
  return [
    'titok: TiTok 1D image tokenizer and generator (titok-js)',
    '',
    'Usage: titok <command> [options]     titok <command> --help',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`),
    '',
    'Errors print one line and exit with code 2; add --debug for the stack trace.',
  ].join('\n');
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Runs the CLI with `argv` (without `node` and the script). Resolves to the exit code:
 * 0 on success, 2 for any user-facing error (after printing one line on stderr), 1 for a bug.
 */
export async function main(argv: string[], io?: Partial<CliIO>): Promise<number> {
  const ctx: CliIO = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    env: io?.env ?? process.env,
    cwd: io?.cwd ?? process.cwd(),
    stdin: io?.stdin ?? process.stdin,
  };
  const debug = argv.includes('--debug') || ctx.env.TITOK_DEBUG === '1';
  const [name, ...rest] = argv;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      ctx.stdout.write(`${helpText()}\n`);
      return name ? 0 : 2;
    }
    if (name === '--version' || name === '-v') {
      ctx.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const entry = COMMANDS[name];
    if (!entry) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      ctx.stdout.write(`${command.usage.trim()}\n`);
      return 0;
    }
    const args = parseCommandArgs(rest, command.options);
    return await command.run(args, ctx);
  } catch (e) {
    if (debug) {
      ctx.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    }
    if (e instanceof TitokError) {
      if (!debug) ctx.stderr.write(`titok: error: ${oneLine(e.message)}\n`);
      return 2;
    }
    if (!debug) {
      ctx.stderr.write(`titok: internal error: ${oneLine((e as Error)?.message ?? String(e))} (run again with --debug for details)\n`);
    }
    return 1;
  }
}
