import type { ProgressCallback } from './progress.js';
import type { ModelCache } from '../cache/cache-types.js';

/** The public Hugging Face hub. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/**
 * Options for loading models by name from a hub (transformers.js style). Every option falls back
 * to an environment variable in Node, then to a default.
 */
export interface HubOptions {
  /** Hub base URL; `TITOK_HUB_ENDPOINT`, else `https://huggingface.co`. */
  endpoint?: string;
  /** Branch, tag or commit; default `main` (a name may also say `owner/repo@revision`). */
  revision?: string;
  /** Access token for gated or private repositories, sent as a bearer token; `HF_TOKEN`. `false` sends none. */
  token?: string | false;
  /** Never touch the network: use the cache or fail; `TITOK_OFFLINE=1`. */
  offline?: boolean;
  /** Where files are cached. Default: the disk cache in Node, the Cache API in browsers; `false` keeps downloads in memory only. */
  cache?: ModelCache | false;
  /** Node: the cache folder; `TITOK_CACHE`, else `$XDG_CACHE_HOME/titok`, else `~/.cache/titok`. */
  cacheDir?: string;
  /** Download again even when the cache holds the file (the old entry is replaced only once the new one verifies). */
  forceDownload?: boolean;
  /** Receives `initiate`, `download`, `progress`, `done` and `ready` events. */
  progress_callback?: ProgressCallback;
  /** Cancels downloads and waits with a CancelledError. */
  signal?: AbortSignal;
  /** Attempts after the first on 5xx, 429 and dropped connections (default 4). */
  retries?: number;
  /** First retry delay in ms, doubled on each retry (default 500). */
  retryDelayMs?: number;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Extra HTTP headers sent with every request. */
  headers?: Record<string, string>;
  /** Environment variables to read instead of `process.env` (tests, embedders). */
  env?: Record<string, string | undefined>;
}

/** {@link HubOptions} with every default applied. */
export interface HubSettings {
  endpoint: string;
  revision: string;
  token?: string;
  offline: boolean;
  forceDownload: boolean;
  retries: number;
  retryDelayMs: number;
  fetch: typeof fetch;
  headers: Record<string, string>;
  env: Record<string, string | undefined>;
  progress?: ProgressCallback;
  signal?: AbortSignal;
}

/** `process.env` where it exists (Node), else an empty object (browsers). */
export function platformEnv(): Record<string, string | undefined> {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env ?? {};
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** Applies environment variables and defaults to {@link HubOptions}. */
export function hubSettings(options: HubOptions = {}): HubSettings {
  const env = options.env ?? platformEnv();
  const endpoint = (options.endpoint ?? env.TITOK_HUB_ENDPOINT ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  const token = options.token === false ? undefined : options.token || env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
  const f = options.fetch ?? (globalThis.fetch as typeof fetch | undefined);
  return {
    endpoint,
    revision: options.revision ?? 'main',
    token,
    offline: options.offline ?? (truthy(env.TITOK_OFFLINE) || truthy(env.HF_HUB_OFFLINE)),
    forceDownload: options.forceDownload ?? false,
    retries: options.retries ?? 4,
    retryDelayMs: options.retryDelayMs ?? 500,
    fetch: f ? f.bind(globalThis) : (undefined as unknown as typeof fetch),
    headers: options.headers ?? {},
    env,
    progress: options.progress_callback,
    signal: options.signal,
  };
}
