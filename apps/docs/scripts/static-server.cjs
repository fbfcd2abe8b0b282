#!/usr/bin/env node
/**
 * A small static file server for the built site (`.vitepress/dist`), bound to 127.0.0.1.
 *
 * Every response carries the headers that make the page cross-origin isolated, which the
 * threaded WASM build needs (SharedArrayBuffer):
 *   Cross-Origin-Opener-Policy: same-origin
 *   Cross-Origin-Embedder-Policy: require-corp
 *   Cross-Origin-Resource-Policy: same-origin
 * It serves `.wasm` as application/wasm, maps clean URLs (`/playground` -> `playground.html`),
 * answers single `Range` requests (model weights are read in pieces) and keeps a log of the
 * requests it answered (the tests read it).
 *
 *   node scripts/static-server.cjs [root] [--port 4173]      (npm run preview -w @titok/docs)
 */
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The headers of every response. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The file a URL path names, or undefined; never outside `root`. */
function resolveFile(root, urlPath) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return undefined;
  }
  const base = path.resolve(root, `.${path.posix.normalize(`/${rel}`)}`);
  if (base !== root && !base.startsWith(root + path.sep)) return undefined;
  for (const candidate of [base, `${base}.html`, path.join(base, 'index.html')]) {
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

/** Parses `bytes=a-b` / `bytes=a-` / `bytes=-n` for a file of `size` bytes; null when unsatisfiable. */
function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}

/**
 * Starts the server. `port` 0 picks a free one.
 * @returns {Promise<{ url: string, port: number, requests: Array<{method: string, path: string, status: number, range?: string}>, close(): Promise<void> }>}
 */
function startStaticServer({ root, port = 0, host = '127.0.0.1', log = false } = {}) {
  const dir = path.resolve(root);
  if (!isFile(path.join(dir, 'index.html'))) throw new Error(`${dir}: no index.html; build the site first (npm run build -w @titok/docs)`);
  const requests = [];
  const server = http.createServer((req, res) => {
    const urlPath = (req.url || '/').split('?')[0];
    const done = (status) => {
      requests.push({ method: req.method, path: urlPath, status, range: req.headers.range });
      if (log) process.stdout.write(`${status} ${req.method} ${req.url}\n`);
    };
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return done(405);
    }
    const file = resolveFile(dir, urlPath);
    if (!file) {
      const notFound = path.join(dir, '404.html');
      res.writeHead(404, { 'Content-Type': TYPES['.html'] });
      res.end(req.method === 'HEAD' || !isFile(notFound) ? undefined : fs.readFileSync(notFound));
      return done(404);
    }
    const size = fs.statSync(file).size;
    const headers = {
      'Content-Type': TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-cache',
    };
    let status = 200;
    let range = { start: 0, end: size - 1 };
    if (req.headers.range) {
      const r = parseRange(req.headers.range, size);
      if (!r) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return done(416);
      }
      range = r;
      status = 206;
      headers['Content-Range'] = `bytes ${r.start}-${r.end}/${size}`;
    }
    headers['Content-Length'] = String(size === 0 ? 0 : range.end - range.start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || size === 0) res.end();
    else fs.createReadStream(file, { start: range.start, end: range.end }).pipe(res);
    done(status);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        url: `http://${host}:${actual}`,
        port: actual,
        requests,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

module.exports = { startStaticServer, ISOLATION_HEADERS };

if (require.main === module) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 4173;
  const root = args.find((a, i) => !a.startsWith('--') && (portAt < 0 || i !== portAt + 1)) || path.join(__dirname, '../.vitepress/dist');
  startStaticServer({ root, port, log: true }).then(
    (s) => process.stdout.write(`serving ${path.resolve(root)} at ${s.url}/ (cross-origin isolated)\n`),
    (e) => {
      process.stderr.write(`static-server: ${e.message}\n`);
      process.exit(2);
    },
  );
}
