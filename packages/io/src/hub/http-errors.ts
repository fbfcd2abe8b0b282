import { NetworkError } from '@titok/core';

/** What a failed request was for, to name it in the error. */
export interface RequestLabel {
  url: string;
  file: string;
  repo?: string;
  revision?: string;
  /** Whether a bearer token was sent. */
  withToken: boolean;
}

const TOKEN_HINT = "set HF_TOKEN=<your token> (or pass the 'token' option)";

function what(l: RequestLabel): string {
  return l.repo ? `${l.repo}/${l.file}` : l.url;
}

/**
 * Turns a non-retryable HTTP status into a one-line NetworkError: 401/403 say how to pass a token,
 * 404 names the repository, file and revision (using the hub's X-Error-Code when present).
 */
export function httpError(status: number, headers: Headers, l: RequestLabel): NetworkError {
  const code = headers.get('x-error-code') ?? '';
  const where = l.repo ? ` (${l.url})` : '';
  const opts = { status, file: l.url };
  if (status === 401 || status === 403 || code === 'GatedRepo') {
    const gated = code === 'GatedRepo' || status === 403;
    const why = l.withToken
      ? `the token sent (HF_TOKEN or the 'token' option) has no access to it${gated ? ': accept the model\'s conditions on its hub page with that account' : ''}`
      : `it is ${gated ? 'gated' : 'private, gated or does not exist'}; to use it, ${TOKEN_HINT}`;
    return new NetworkError(`${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}: cannot download ${what(l)}${where}: ${why}`, opts);
  }
  if (status === 404) {
    if (!l.repo) return new NetworkError(`404 Not Found: ${l.url}`, opts);
    if (code === 'RepoNotFound') {
      return new NetworkError(`404 Not Found: repository ${l.repo} does not exist on ${new URL(l.url).origin} (if it is private, ${TOKEN_HINT})`, opts);
    }
    if (code === 'RevisionNotFound') {
      return new NetworkError(`404 Not Found: revision '${l.revision}' does not exist in ${l.repo}${where}`, opts);
    }
    return new NetworkError(`404 Not Found: ${l.repo} has no file '${l.file}' at revision '${l.revision}'${where}`, opts);
  }
  return new NetworkError(`HTTP ${status} for ${what(l)}${where}`, opts);
}

/** True for statuses worth retrying (server errors, rate limits, timeouts). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** True for "this file is not there" (a 404, or not cached in offline mode): try the next candidate. */
export function isMissingFile(e: unknown, offline: boolean): boolean {
  if (!(e instanceof NetworkError)) return false;
  return e.status === 404 || (offline && e.status === undefined && e.message.startsWith('offline mode'));
}
