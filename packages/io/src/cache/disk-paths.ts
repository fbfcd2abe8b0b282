import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '@titok/core';
import type { CacheKey } from './cache-types.js';

/**
 * The cache folder: `TITOK_CACHE`, else `$XDG_CACHE_HOME/titok`, else `~/.cache/titok`.
 */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.TITOK_CACHE) return path.resolve(env.TITOK_CACHE);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'titok');
}

/** The paths of one entry: the file itself and its bookkeeping in the hidden `.titok` folder. */
export interface EntryPaths {
  /** Folder of the snapshot (a hub revision or a URL), which looks like a local model folder. */
  dir: string;
  file: string;
  meta: string;
  partial: string;
  partialTarget: string;
  lock: string;
}

function safeSegments(p: string, what: string): string[] {
  const parts = p.split('/');
  for (const s of parts) {
    if (!s || s === '.' || s === '..' || s.includes('\\') || s.includes('\0')) {
      throw new ConfigError(`unsafe ${what} '${p}' for the cache`);
    }
  }
  return parts;
}

/**
 * Where `key` lives under `root`: `hub/<owner>--<name>/<revision>/<file>`, or
 * `url/<host>/<hash of the URL's folder>/<file>` (the entry's meta records the full URL).
 */
export function entryPaths(root: string, key: CacheKey): EntryPaths {
  let dir: string;
  if (key.repo) {
    const [owner, name] = safeSegments(key.repo, 'repository id');
    dir = path.join(root, 'hub', `${owner}--${name}`, encodeURIComponent(key.revision ?? 'main'));
  } else {
    // one folder per URL folder, so a model's files by URL sit together (as a loadable folder)
    const u = new URL(key.url);
    const host = u.host.replace(/[^\w.-]/g, '_');
    const folderUrl = `${u.origin}${u.pathname.replace(/[^/]*$/, '')}`;
    const hash = createHash('sha256').update(folderUrl).digest('hex').slice(0, 16);
    dir = path.join(root, 'url', host || 'local', hash);
  }
  const file = path.join(dir, ...safeSegments(key.file, 'file name'));
  const book = path.join(dir, '.titok', encodeURIComponent(key.file));
  return { dir, file, meta: `${book}.json`, partial: `${book}.incomplete`, partialTarget: `${book}.incomplete.json`, lock: `${book}.lock` };
}
