import { CancelledError, FormatError, NetworkError } from '@titok/core';
import { isCachedEntry } from '../cache/cache-types.js';
import type { CacheEntryMeta, CacheKey, CacheWriter, CachedEntry, DownloadTarget, ModelCache } from '../cache/cache-types.js';
import type { HubSettings } from './hub-options.js';
import { httpError, isRetryableStatus } from './http-errors.js';
import type { RequestLabel } from './http-errors.js';
import { getFollowingRedirects, requestFailure, sleep } from './http-request.js';
import type { HubHeaders } from './http-request.js';
import { emitProgress, progressThrottle } from './progress.js';

/** One file to fetch into a cache. */
export interface FileRequest {
  key: CacheKey;
  /** The model name as the user gave it (progress events carry it). */
  name: string;
  /** Size and SHA-256 known in advance (the registry); checked in addition to the server's. */
  expected?: { size?: number; sha256?: string };
  /** Whether to send the bearer token (hub requests only). */
  sendToken?: boolean;
}

const SHA256 = /^[0-9a-f]{64}$/;

function cleanEtag(v: string | null | undefined): string | undefined {
  if (!v) return undefined;
  return v.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** The expected size and sha256 of the whole file, from the hub's headers or the response. */
function targetOf(res: Response, hub: HubHeaders): DownloadTarget {
  const linked = cleanEtag(hub.linkedEtag)?.toLowerCase();
  const etag = cleanEtag(res.headers.get('etag'));
  const sha256 = linked && SHA256.test(linked) ? linked : etag && SHA256.test(etag.toLowerCase()) ? etag.toLowerCase() : undefined;
  let size = hub.linkedSize;
  const range = /^bytes \d+-\d+\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
  if (size === undefined && range) size = Number(range[1]);
  const length = res.headers.get('content-length');
  if (size === undefined && res.status === 200 && length && /^\d+$/.test(length)) size = Number(length);
  return { size, sha256, etag: linked ?? etag };
}

function conflicts(a: DownloadTarget | undefined, b: DownloadTarget): boolean {
  if (!a || (!a.sha256 && !a.etag)) return true;
  if (a.sha256 && b.sha256) return a.sha256 !== b.sha256;
  if (a.etag && b.etag && a.etag !== b.etag) return true;
  return a.size !== undefined && b.size !== undefined && a.size !== b.size;
}

function looksLikeHtml(file: string, res: Response, first?: Uint8Array): boolean {
  if (/\.html?$/i.test(file)) return false;
  if ((res.headers.get('content-type') ?? '').toLowerCase().includes('text/html')) return true;
  if (!first) return false;
  const head = new TextDecoder().decode(first.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

/**
 * Returns the cached entry for `req.key`, downloading it first when needed: retries with
 * exponential backoff on 5xx/429 and dropped connections (resuming with `Range` from the bytes
 * received), restarts when a server ignores `Range`, and publishes the file only after its size
 * and SHA-256 match what the server (`X-Linked-Etag`/`ETag`, `X-Linked-Size`/`Content-Length`) or
 * the registry promised.
 *
 * @throws NetworkError (HTTP status, offline miss, integrity failure), FormatError (an HTML page
 *   instead of the file), CancelledError
 */
export async function fetchIntoCache(req: FileRequest, cache: ModelCache, s: HubSettings): Promise<CachedEntry> {
  const { key, name } = req;
  emitProgress(s.progress, { status: 'initiate', name, file: key.file });
  if (!s.forceDownload) {
    const hit = await cache.get(key);
    if (hit) {
      emitProgress(s.progress, { status: 'done', name, file: key.file });
      return hit;
    }
  }
  if (s.offline) {
    throw new NetworkError(
      `offline mode (TITOK_OFFLINE or the 'offline' option): ${key.repo ? `${key.repo}/${key.file}` : key.url} is not in the cache (${cache.location}); run once online to download it`,
      { file: key.url },
    );
  }
  if (!s.fetch) throw new NetworkError(`no fetch() available to download ${key.url}`, { file: key.url });
  emitProgress(s.progress, { status: 'download', name, file: key.file });
  const progress = progressThrottle(s.progress, name, key.file);
  const begun = await cache.begin(key, { signal: s.signal, onWait: (loaded) => progress(loaded, req.expected?.size ?? 0) });
  if (isCachedEntry(begun)) {
    emitProgress(s.progress, { status: 'done', name, file: key.file });
    return begun;
  }
  const w = begun;
  let keepPartial = true;
  try {
    const entry = await transfer(req, w, s, progress);
    emitProgress(s.progress, { status: 'done', name, file: key.file });
    return entry;
  } catch (e) {
    keepPartial = !(e instanceof IntegrityFailure);
    throw e instanceof IntegrityFailure ? e.error : e;
  } finally {
    if (keepPartial) await w.release().catch(() => {});
  }
}

/** A failure of the cache itself (disk full, permissions): not worth a retry, and not the network's fault. */
function cacheWriteError(e: unknown, url: string): NetworkError {
  const err = e as { code?: string; message?: string };
  return new NetworkError(`${url}: cannot write the download to the cache (${err.code ?? ''} ${err.message ?? String(e)})`.replace('( ', '('), { file: url, cause: e });
}

/** Ends the download without keeping its bytes: they failed a check or cannot be stored. */
class IntegrityFailure extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

async function transfer(
  req: FileRequest,
  w: CacheWriter,
  s: HubSettings,
  progress: (loaded: number, total: number, force?: boolean) => void,
): Promise<CachedEntry> {
  const { key } = req;
  const label: RequestLabel = { url: key.url, file: key.file, repo: key.repo, revision: key.revision, withToken: !!(req.sendToken && s.token) };
  const fail = async (error: Error): Promise<never> => {
    await w.discard();
    throw new IntegrityFailure(error);
  };
  let failures = 0;
  let lastProblem = '';
  let target: DownloadTarget = {};
  let hub: HubHeaders = {};
  for (;;) {
    if (failures > 0) {
      if (failures > s.retries) {
        throw new NetworkError(
          `${key.repo ? `${key.repo}/${key.file}` : key.url}: gave up after ${failures} failed attempts (${lastProblem})` +
            (w.offset > 0 ? `; ${w.offset} bytes were kept, run again to resume` : ''),
          { file: key.url },
        );
      }
      await sleep(s.retryDelayMs * 2 ** (failures - 1), s.signal);
    }
    if (s.signal?.aborted) throw requestFailure(undefined, key.url, s.signal);
    const headers: Record<string, string> = { ...s.headers, 'Accept-Encoding': 'identity' };
    if (req.sendToken && s.token) headers.Authorization = `Bearer ${s.token}`;
    const start = w.offset;
    if (start > 0) headers.Range = `bytes=${start}-`;
    let res: Response;
    try {
      const followed = await getFollowingRedirects(key.url, headers, s.fetch, s.signal);
      res = followed.response;
      hub = followed.hub;
    } catch (e) {
      const err = requestFailure(e, key.url, s.signal);
      if (err instanceof CancelledError) throw err;
      lastProblem = err.message.replace(`${key.url}: `, '');
      failures++;
      continue;
    }
    if (isRetryableStatus(res.status)) {
      await res.body?.cancel().catch(() => {});
      lastProblem = `HTTP ${res.status}`;
      failures++;
      const after = Number(res.headers.get('retry-after'));
      if (Number.isFinite(after) && after > 0 && after <= 60 && failures <= s.retries) await sleep(after * 1000, s.signal);
      continue;
    }
    if (res.status === 416 && start > 0) {
      await res.body?.cancel().catch(() => {});
      await w.reset();
      continue;
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel().catch(() => {});
      throw httpError(res.status, res.headers, label);
    }
    const now = targetOf(res, hub);
    if (res.status === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== start || conflicts(w.partialTarget, now)) {
        // a range we did not ask for, or the partial bytes belong to another version: start over
        await res.body?.cancel().catch(() => {});
        await w.reset();
        continue;
      }
    } else if (start > 0) {
      await w.reset(); // the server ignored Range and sends the whole file
    }
    target = now;
    if (w.offset === 0) await w.setTarget(target);
    if (looksLikeHtml(key.file, res)) {
      await res.body?.cancel().catch(() => {});
      return fail(new FormatError(`the server sent an HTML page (content-type ${res.headers.get('content-type')}), not the file: check the model name or URL`, { file: key.url }));
    }
    const total = req.expected?.size ?? target.size ?? 0;
    const before = w.offset;
    try {
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (w.offset === 0 && looksLikeHtml(key.file, res, value)) {
          await reader.cancel().catch(() => {});
          return fail(new FormatError('the server sent an HTML page, not the file: check the model name or URL', { file: key.url }));
        }
        try {
          await w.write(value);
        } catch (e) {
          await reader.cancel().catch(() => {});
          return fail(cacheWriteError(e, key.url));
        }
        if (total && w.offset > total) {
          await reader.cancel().catch(() => {});
          return fail(new NetworkError(`${key.url}: the server sent more than the ${total} bytes announced; the download was discarded and not cached`, { file: key.url }));
        }
        progress(w.offset, total);
      }
    } catch (e) {
      if (e instanceof IntegrityFailure) throw e;
      const err = requestFailure(e, key.url, s.signal);
      if (err instanceof CancelledError) throw err;
      if (w.offset > before) failures = 0;
      lastProblem = `connection dropped at byte ${w.offset}${total ? ` of ${total}` : ''}`;
      failures++;
      continue;
    }
    if (total && w.offset < total) {
      if (w.offset > before) failures = 0;
      lastProblem = `connection closed at byte ${w.offset} of ${total}`;
      failures++;
      continue;
    }
    break;
  }
  progress(w.offset, w.offset, true);
  const sha256 = await w.sha256();
  const checks: [string, string][] = [];
  if (target.sha256) checks.push([target.sha256, 'the server (X-Linked-Etag/ETag)']);
  if (req.expected?.sha256) checks.push([req.expected.sha256.toLowerCase(), 'the registry']);
  for (const [want, from] of checks) {
    if (sha256 !== want) {
      return fail(
        new NetworkError(
          `${key.repo ? `${key.repo}/${key.file}` : key.url}: integrity check failed: sha256 ${sha256} does not match ${want} given by ${from}; the download was discarded and not cached`,
          { file: key.url },
        ),
      );
    }
  }
  const wantSize = req.expected?.size ?? target.size;
  if (wantSize !== undefined && wantSize !== w.offset) {
    return fail(new NetworkError(`${key.url}: size check failed: got ${w.offset} bytes, expected ${wantSize}; the download was discarded and not cached`, { file: key.url }));
  }
  const meta: Omit<CacheEntryMeta, 'storedAt' | 'location'> = {
    url: key.url,
    repo: key.repo,
    revision: key.revision,
    file: key.file,
    size: w.offset,
    sha256,
    verifiedBy: target.sha256 ? 'server' : req.expected?.sha256 ? 'registry' : 'none',
    etag: target.etag,
    commit: hub.commit,
  };
  return w.commit(meta).catch((e: unknown) => fail(cacheWriteError(e, key.url)));
}
