import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import { dirname } from 'node:path';
import { CancelledError } from '@titok/core';

/** A held lock file; {@link release} deletes it only if it is still ours. */
export interface FileLock {
  release(): Promise<void>;
}

/** Options of {@link acquireLock}. */
export interface LockOptions {
  signal?: AbortSignal;
  /** A lock not refreshed for this long is stale (its holder died); default 30 s. */
  staleMs?: number;
  /** Called on each poll while another process holds the lock; return true to stop waiting. */
  onBusy?: () => Promise<boolean>;
}

interface LockInfo {
  pid: number;
  host: string;
  token: string;
}

function randomToken(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readInfo(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  let mtime: number;
  try {
    mtime = (await fsp.stat(path)).mtimeMs;
  } catch {
    return false; // gone: the next attempt takes it
  }
  const info = await readInfo(path);
  if (info && info.host === os.hostname() && Number.isInteger(info.pid) && info.pid !== process.pid && !pidAlive(info.pid)) {
    return true; // its process is gone
  }
  // a lock that is being written has no content yet; judge it by age alone
  return Date.now() - mtime > staleMs;
}

/**
 * Takes an exclusive lock file (created with O_EXCL), refreshing its mtime while held so other
 * processes can tell a live holder from a crashed one. A lock whose process is gone (same host)
 * or that was not refreshed for `staleMs` is broken. Resolves to undefined when `onBusy` says the
 * wait is over (another process finished the work).
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<FileLock | undefined> {
  const staleMs = options.staleMs ?? 30_000;
  const token = randomToken();
  let delay = 50;
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError(`cancelled while waiting for the lock ${path}`);
    try {
      const fh = await fsp.open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), token } satisfies LockInfo));
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // the folder was pruned by another process a moment ago: make it again
        await fsp.mkdir(dirname(path), { recursive: true });
        continue;
      }
      if (code !== 'EEXIST') throw e;
    }
    if (options.onBusy && (await options.onBusy())) return undefined;
    if (await isStale(path, staleMs)) {
      const aside = `${path}.stale-${token}`;
      try {
        await fsp.rename(path, aside);
        await fsp.rm(aside, { force: true });
      } catch {
        // another process broke it first
      }
      continue;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(500, delay * 2);
  }
  const beat = setInterval(() => {
    const t = new Date();
    fsp.utimes(path, t, t).catch(() => {});
  }, Math.max(50, Math.floor(staleMs / 3)));
  beat.unref?.();
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      const info = await readInfo(path);
      if (info?.token === token) await fsp.rm(path, { force: true });
    },
  };
}
