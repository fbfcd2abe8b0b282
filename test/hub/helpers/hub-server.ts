import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** One request the servers saw. */
export interface SeenRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range?: string;
  auth?: string;
}

/** A fault applied to the next request of a path (queued, one per request). */
export interface Fault {
  /** Answer with this status and an empty body. */
  status?: number;
  /** Send the headers of the full answer, then only this many body bytes, then close. */
  cutAfter?: number;
  /** With cutAfter: destroy the socket (RST) instead of closing it cleanly. */
  destroy?: boolean;
  /** Flip this byte of the content. */
  corruptByte?: number;
  /** Answer 200 with the whole file even when Range was asked. */
  ignoreRange?: boolean;
  /** Answer 200 text/html with a web page. */
  html?: boolean;
}

export interface RepoSpec {
  /** Folder with the files (test/fixtures/<model>). */
  dir: string;
  /** Only these files (default: every file of the folder). */
  files?: string[];
  /** Require `Authorization: Bearer <token>` (a gated repo). */
  token?: string;
}

export interface HubServer {
  /** The hub's base URL (`http://127.0.0.1:<port>`). */
  endpoint: string;
  /** The CDN's base URL (another port, so another origin). */
  cdn: string;
  requests: SeenRequest[];
  /** Queues faults for a path (`/owner/name/resolve/main/file` or `cdn:<file>` for the CDN download). */
  fault(where: string, ...faults: Fault[]): void;
  /** Bytes per second for CDN bodies (0 = unlimited). */
  throttle: number;
  /** Extra static routes: path -> [content-type, body]. */
  statics: Map<string, [string, Buffer | string]>;
  close(): Promise<void>;
}

const LFS = /\.(safetensors|bin|pt|pth)$/;

export function sha256Hex(data: Buffer | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

async function sendBody(res: http.ServerResponse, body: Buffer, throttle: number, cutAfter?: number, destroy?: boolean): Promise<void> {
  const limit = cutAfter ?? body.length;
  const step = throttle ? Math.max(1024, Math.floor(throttle / 20)) : 1 << 16;
  for (let i = 0; i < limit; i += step) {
    if (res.destroyed) return;
    const chunk = body.subarray(i, Math.min(limit, i + step));
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    if (throttle) await new Promise((r) => setTimeout(r, (chunk.length / throttle) * 1000));
  }
  if (cutAfter !== undefined) {
    await new Promise((r) => setTimeout(r, 20));
    if (destroy) res.socket?.destroy();
    else res.socket?.end();
    return;
  }
  res.end();
}

/**
 * Starts a fake hub on 127.0.0.1 serving `repos` in the hub layout `/<repo>/resolve/<rev>/<file>`
 * with the hub's headers: small files answer 200 with a git-style ETag; weights files answer 302 to a
 * CDN on another port, with `X-Linked-Etag` (sha256), `X-Linked-Size` and `X-Repo-Commit`, and the
 * CDN serves them with Range support. Every request is recorded.
 */
export async function startHubServer(repos: Record<string, RepoSpec>): Promise<HubServer> {
  const faults = new Map<string, Fault[]>();
  const requests: SeenRequest[] = [];
  const statics = new Map<string, [string, Buffer | string]>();
  const blobs = new Map<string, Buffer>();
  const state = { throttle: 0 };
  const takeFault = (where: string): Fault | undefined => faults.get(where)?.shift();
  const commit = 'c0ffee'.padEnd(40, '0');

  const cdnServer = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ server: 'cdn', method: req.method ?? 'GET', path: url.pathname, range: req.headers.range, auth: req.headers.authorization });
      const sha = url.pathname.replace(/^\/blobs\//, '');
      const original = blobs.get(sha);
      if (req.method === 'OPTIONS') {
        return void res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Range', 'Access-Control-Max-Age': '600' }).end();
      }
      const f = takeFault(`cdn:${url.searchParams.get('file')}`) ?? {};
      if (!original) return void res.writeHead(404).end();
      if (f.status) return void res.writeHead(f.status).end();
      let body = original;
      if (f.corruptByte !== undefined) {
        body = Buffer.from(original);
        body[f.corruptByte] = body[f.corruptByte]! ^ 0xff;
      }
      const headers: http.OutgoingHttpHeaders = {
        'Content-Type': 'application/octet-stream',
        ETag: `"${sha}"`,
        'Accept-Ranges': 'bytes',
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': 'ETag, Content-Range, Content-Length',
        'Cross-Origin-Resource-Policy': 'cross-origin',
      };
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m && !f.ignoreRange) {
        const start = Number(m[1]);
        if (start >= body.length) return void res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        const part = body.subarray(start);
        res.writeHead(206, { ...headers, 'Content-Length': part.length, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
        return sendBody(res, part, state.throttle, f.cutAfter, f.destroy);
      }
      res.writeHead(200, { ...headers, 'Content-Length': body.length });
      if (req.method === 'HEAD') return void res.end();
      return sendBody(res, body, state.throttle, f.cutAfter, f.destroy);
    })().catch(() => res.destroy());
  });
  const cdn = await listen(cdnServer);

  const hubServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = decodeURIComponent(url.pathname);
    requests.push({ server: 'hub', method: req.method ?? 'GET', path: p, range: req.headers.range, auth: req.headers.authorization });
    const stat = statics.get(p);
    if (stat) {
      res.writeHead(200, {
        'Content-Type': stat[0],
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
      });
      return void res.end(stat[1]);
    }
    const f = takeFault(p);
    if (f?.status) return void res.writeHead(f.status).end();
    if (f?.html) return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body>Sign in</body></html>');
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (!m) return void res.writeHead(404).end();
    const [, repoId, rev, file] = m as unknown as [string, string, string, string];
    const repo = repos[repoId];
    if (!repo) return void res.writeHead(404, { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found' }).end();
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return void res.writeHead(req.headers.authorization ? 403 : 401, { 'X-Error-Code': 'GatedRepo' }).end();
    }
    if (rev !== 'main' && rev !== commit) return void res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end();
    const full = path.join(repo.dir, file);
    if ((repo.files && !repo.files.includes(file)) || !fs.existsSync(full)) {
      return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': commit }).end();
    }
    const data = fs.readFileSync(full);
    if (LFS.test(file)) {
      const sha = sha256Hex(data);
      blobs.set(sha, data);
      res.writeHead(302, {
        Location: `${cdn}/blobs/${sha}?file=${encodeURIComponent(file)}`,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': String(data.length),
        'X-Repo-Commit': commit,
        ETag: `"${sha}"`,
      });
      return void res.end();
    }
    const gitSha = createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': data.length, ETag: `"${gitSha}"`, 'X-Repo-Commit': commit });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  const endpoint = await listen(hubServer);

  return {
    endpoint,
    cdn,
    requests,
    statics,
    get throttle() {
      return state.throttle;
    },
    set throttle(v: number) {
      state.throttle = v;
    },
    fault(where, ...list) {
      faults.set(where, [...(faults.get(where) ?? []), ...list]);
    },
    async close() {
      for (const s of [hubServer, cdnServer]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
