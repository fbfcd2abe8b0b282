import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '@titok/core';
import { openHubModel, openUrlModel, parseHubName } from '@titok/io';
import type { CacheEntryMeta, ModelCache } from '@titok/io';
import { defaultCacheDir, diskCache } from '@titok/io/node';
import { UsageError, flag, str } from '../lib/args.js';
import type { CliIO, Command, ParsedArgs } from '../lib/command.js';
import { downloadProgress } from '../lib/progress.js';

type Input = NodeJS.ReadableStream & { isTTY?: boolean };

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

/** Asks a yes/no question on a TTY; anywhere else the answer must come from --yes. */
async function confirm(io: CliIO, yes: boolean, question: string): Promise<boolean> {
  if (yes) return true;
  const stdin: Input = io.stdin ?? process.stdin;
  if (!stdin.isTTY) throw new UsageError(`${question.replace(/\?$/, '')}: refusing without confirmation (not a terminal); add --yes`);
  io.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl));
    };
    const onEnd = () => finish(buf);
    const finish = (line: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      (stdin as { pause?: () => void }).pause?.();
      resolve(line.trim());
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    (stdin as { resume?: () => void }).resume?.();
  });
  return /^y(es)?$/i.test(answer);
}

function matcher(target: string, revision: string | undefined): (m: CacheEntryMeta) => boolean {
  if (/^https?:\/\//i.test(target)) return (m) => !m.repo && m.url.startsWith(target);
  const parsed = parseHubName(target);
  if (!parsed) throw new UsageError(`'${target}' is neither a model name, a repo id nor a URL`);
  const rev = revision ?? parsed.revision;
  return (m) => m.repo?.toLowerCase() === parsed.repo.toLowerCase() && (rev === undefined || m.revision === rev);
}

async function ls(cache: ModelCache, args: ParsedArgs, io: CliIO): Promise<number> {
  const entries = await cache.list();
  if (flag(args, 'json')) {
    io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  if (!entries.length) {
    io.stdout.write(`the cache is empty (${cache.location})\n`);
    return 0;
  }
  const rows = [['MODEL', 'REVISION', 'FILE', 'SIZE', 'CHECKED', 'PATH']];
  for (const e of entries) {
    const check = e.verifiedBy === 'none' || e.verifiedBy === 'converted' ? e.verifiedBy : `sha256 (${e.verifiedBy})`;
    rows.push([e.repo ?? new URL(e.url).host, e.revision ?? '-', e.file, fmtBytes(e.size), check, e.location ?? '']);
  }
  const total = entries.reduce((a, e) => a + e.size, 0);
  io.stdout.write(`${table(rows)}\n${entries.length} files, ${fmtBytes(total)} in ${cache.location}\n`);
  return 0;
}

async function rm(cache: ModelCache, args: ParsedArgs, io: CliIO): Promise<number> {
  const target = args.positionals[1];
  if (!target) throw new UsageError('titok cache rm: name the model (short name, repo id or URL); see titok cache --help');
  const match = matcher(target, str(args, 'revision'));
  const victims = (await cache.list()).filter(match);
  if (!victims.length) throw new InputError(`nothing in the cache (${cache.location}) matches '${target}'`);
  const size = victims.reduce((a, e) => a + e.size, 0);
  if (!(await confirm(io, flag(args, 'yes'), `remove ${victims.length} files (${fmtBytes(size)}) of ${target} from ${cache.location}?`))) {
    io.stderr.write('nothing removed\n');
    return 1;
  }
  const removed = await cache.remove(match);
  io.stdout.write(`removed ${removed.length} files (${fmtBytes(size)})\n`);
  return 0;
}

async function clear(cache: ModelCache, args: ParsedArgs, io: CliIO): Promise<number> {
  const entries = await cache.list();
  const size = entries.reduce((a, e) => a + e.size, 0);
  if (!(await confirm(io, flag(args, 'yes'), `remove every cached model (${entries.length} files, ${fmtBytes(size)}) and partial download from ${cache.location}?`))) {
    io.stderr.write('nothing removed\n');
    return 1;
  }
  // only the folders the cache creates: never anything else that lives in the directory
  for (const sub of ['hub', 'url']) await fsp.rm(path.join(cache.location, sub), { recursive: true, force: true });
  io.stdout.write(`removed ${entries.length} files (${fmtBytes(size)}) from ${cache.location}\n`);
  return 0;
}

async function fetchModel(cache: ModelCache, args: ParsedArgs, io: CliIO): Promise<number> {
  const name = args.positionals[1];
  if (!name) throw new UsageError('titok cache fetch: name the model (short name, repo id or URL)');
  const dtype = str(args, 'dtype');
  if (dtype !== undefined && dtype !== 'fp32' && dtype !== 'fp16') throw new UsageError(`--dtype must be fp32 or fp16, got '${dtype}'`);
  const options = { cache, env: io.env, revision: str(args, 'revision'), dtype: dtype as 'fp32' | 'fp16' | undefined, progress_callback: downloadProgress(io.stderr) };
  const files = /^https?:\/\//i.test(name) ? await openUrlModel(name, options) : await openHubModel(name, options);
  await files.weights.close();
  for (const e of files.entries) io.stdout.write(`${e.meta.location}\n`);
  return 0;
}

const command: Command = {
  name: 'cache',
  summary: 'list, fetch or remove downloaded models (ls | fetch | rm | clear)',
  usage: `
Usage: titok cache <ls|fetch|rm|clear> [options]

  titok cache ls [--json]                 list cached files with size and how they were checked
  titok cache fetch <model> [--revision R] [--dtype fp16]
                                          download a model (short name, repo id or URL) into the cache
  titok cache rm <model> [--revision R]   remove a model's cached files (every revision unless --revision)
  titok cache clear                       remove every cached file and partial download

Options:
  --cache-dir <dir>   the cache (default: TITOK_CACHE, else $XDG_CACHE_HOME/titok, else ~/.cache/titok)
  --revision <rev>    branch, tag or commit (default main)
  -y, --yes           do not ask (rm and clear ask on a terminal and refuse elsewhere without --yes)

Hub downloads use TITOK_HUB_ENDPOINT (default https://huggingface.co) and HF_TOKEN for gated or
private repositories; TITOK_OFFLINE=1 never touches the network.
`,
  options: {
    'cache-dir': { type: 'string' },
    revision: { type: 'string' },
    dtype: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const sub = args.positionals[0];
    const dir = str(args, 'cache-dir');
    const cache = diskCache({ dir: dir ? path.resolve(io.cwd, dir) : defaultCacheDir(io.env) });
    switch (sub) {
      case 'ls':
      case 'list':
        return ls(cache, args, io);
      case 'rm':
        return rm(cache, args, io);
      case 'clear':
        return clear(cache, args, io);
      case 'fetch':
      case 'download':
        return fetchModel(cache, args, io);
      default:
        throw new UsageError(sub ? `unknown cache command '${sub}' (ls, fetch, rm, clear)` : 'titok cache: say ls, fetch, rm or clear');
    }
  },
};

export default command;
export { command as cacheCommand };
