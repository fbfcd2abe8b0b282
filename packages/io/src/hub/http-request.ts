import { CancelledError, NetworkError } from '@titok/core';

/** Headers the hub sends on the first hop of an LFS file (before the CDN redirect). */
export interface HubHeaders {
  /** `X-Linked-Etag` (the LFS file's sha256) or the final ETag. */
  linkedEtag?: string;
  /** `X-Linked-Size`. */
  linkedSize?: number;
  /** `X-Repo-Commit`. */
  commit?: string;
}

/** A response, with what the redirect chain said about the file. */
export interface FollowedResponse {
  response: Response;
  hub: HubHeaders;
  /** The URL that answered (after redirects). */
  finalUrl: string;
}

const MAX_REDIRECTS = 10;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function collect(hub: HubHeaders, h: Headers): void {
  const etag = h.get('x-linked-etag');
  if (etag && !hub.linkedEtag) hub.linkedEtag = etag;
  const size = h.get('x-linked-size');
  if (size && hub.linkedSize === undefined && /^\d+$/.test(size)) hub.linkedSize = Number(size);
  const commit = h.get('x-repo-commit');
  if (commit && !hub.commit) hub.commit = commit;
}

/** Turns an abort into CancelledError and anything else into a retryable NetworkError. */
export function requestFailure(e: unknown, url: string, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    const r = signal.reason;
    return new CancelledError(r instanceof Error && r.message ? `cancelled: ${r.message}` : `download of ${url} was cancelled`);
  }
  if (e instanceof NetworkError || e instanceof CancelledError) return e;
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e);
  return new NetworkError(`${url}: connection failed (${why})`, { file: url, cause: e });
}

/**
 * GET with redirects. In Node the redirects are followed by hand so that the hub's headers on
 * the first hop (`X-Linked-Etag`, `X-Linked-Size`, `X-Repo-Commit`) are seen, and the bearer
 * token is dropped when a redirect leaves the hub's origin (the CDN URLs are signed). Browsers
 * follow redirects themselves (a manual redirect is opaque there), keeping the final headers.
 */
export async function getFollowingRedirects(
  url: string,
  headers: Record<string, string>,
  fetchImpl: typeof fetch,
  signal?: AbortSignal,
): Promise<FollowedResponse> {
  const hub: HubHeaders = {};
  if (!isNode()) {
    const response = await fetchImpl(url, { headers, signal, redirect: 'follow', cache: 'no-store' });
    collect(hub, response.headers);
    return { response, hub, finalUrl: response.url || url };
  }
  let current = url;
  let sent = { ...headers };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetchImpl(current, { headers: sent, signal, redirect: 'manual' });
    collect(hub, response.headers);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      const next = new URL(location, current);
      if (next.origin !== new URL(current).origin) {
        const { Authorization: _drop, ...rest } = sent;
        sent = rest;
      }
      current = next.toString();
      continue;
    }
    return { response, hub, finalUrl: current };
  }
  throw new NetworkError(`${url}: more than ${MAX_REDIRECTS} redirects`, { file: url });
}

/** Waits `ms`, or rejects with CancelledError when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(requestFailure(undefined, 'the download', signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(requestFailure(undefined, 'the download', signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
