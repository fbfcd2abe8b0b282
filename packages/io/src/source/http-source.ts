import { FormatError, NetworkError, throwIfAborted } from '@titok/core';
import { bytesSource } from './byte-source.js';
import type { ByteSource } from './byte-source.js';

/** Options of {@link httpSource}. */
export interface HttpSourceOptions {
  /** `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Never download more than this without Range support (default 8 GB). */
  maxBytes?: number;
}

/** The first request asks for this much: enough for format detection and most headers. */
const HEAD_BYTES = 256 * 1024;

function fail(url: string, res: Response): never {
  throw new NetworkError(`${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, { file: url, status: res.status });
}

async function request(url: string, o: HttpSourceOptions, range?: string): Promise<Response> {
  throwIfAborted(o.signal);
  const f = o.fetch ?? globalThis.fetch;
  try {
    return await f(url, { headers: { ...o.headers, ...(range ? { Range: range } : {}) }, signal: o.signal });
  } catch (e) {
    throwIfAborted(o.signal);
    throw new NetworkError(`${url}: request failed (${(e as Error).message})`, { file: url, cause: e });
  }
}

/**
 * Opens a URL as a {@link ByteSource}. When the server answers a Range request with 206 and
 * the total size, reads fetch only the ranges asked for (a safetensors header, then tensor by
 * tensor); otherwise the whole body is downloaded once and read from memory.
 *
 * @throws NetworkError for HTTP errors (the status is kept) and failed requests
 */
export async function httpSource(url: string, options: HttpSourceOptions = {}): Promise<ByteSource> {
  let probe = await request(url, options, `bytes=0-${HEAD_BYTES - 1}`);
  if (probe.status === 206) {
    const total = /^bytes 0-\d+\/(\d+)\s*$/.exec(probe.headers.get('content-range') ?? '')?.[1];
    if (total !== undefined) {
      const size = Number(total);
      const head = new Uint8Array(await probe.arrayBuffer());
      if (head.byteLength !== Math.min(HEAD_BYTES, size)) throw new NetworkError(`${url}: the server sent ${head.byteLength} bytes for the first range`, { file: url });
      const etag = probe.headers.get('etag');
      return {
        name: url,
        size,
        async read(offset, length) {
          if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
            throw new FormatError(`unexpected end of file: wanted ${length} bytes at offset ${offset}, the file has ${size}`, { file: url });
          }
          if (length === 0) return new Uint8Array(0);
          if (offset + length <= head.byteLength) return head.slice(offset, offset + length);
          const res = await request(url, { ...options, headers: { ...options.headers, ...(etag ? { 'If-Match': etag } : {}) } }, `bytes=${offset}-${offset + length - 1}`);
          if (res.status !== 206) fail(url, res);
          const bytes = new Uint8Array(await res.arrayBuffer());
          if (bytes.byteLength !== length) throw new NetworkError(`${url}: asked for ${length} bytes at ${offset}, got ${bytes.byteLength}`, { file: url });
          return bytes;
        },
        async close() {},
      };
    }
    await probe.body?.cancel().catch(() => {});
    probe = await request(url, options); // 206 without a total size: download it whole
  }
  if (probe.status !== 200) fail(url, probe);
  const length = Number(probe.headers.get('content-length') ?? NaN);
  const max = options.maxBytes ?? 8 * 1024 ** 3;
  if (length > max) throw new NetworkError(`${url}: the file is ${length} bytes and the server does not support Range requests`, { file: url });
  const body = new Uint8Array(await probe.arrayBuffer());
  return bytesSource(body, url);
}

/** Fetches a URL as JSON; undefined on 404 when `optional`. */
export async function fetchJson(url: string, options: HttpSourceOptions & { optional?: boolean } = {}): Promise<Record<string, unknown> | undefined> {
  const res = await request(url, options);
  if (res.status === 404 && options.optional) return undefined;
  if (!res.ok) fail(url, res);
  const text = await res.text();
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(`not a JSON object (${(e as Error).message})`, { file: url });
  }
}
