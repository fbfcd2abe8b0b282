import * as fs from 'node:fs';
import * as path from 'node:path';
import { NetworkError, FormatError } from '@titok/core';
import { fetchCachedUrl, fetchHubFile, memoryCache, openHubModel } from '@titok/io';
import type { CacheWriter, ModelCache } from '@titok/io';
import { FIXTURES } from '../helpers/fixtures.js';
import { sha256Hex, startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { filesUnder, tempDir } from './helpers/temp.js';

const PIXEL = path.join(FIXTURES, 'titok_tiny_vq_pixel');
const WEIGHTS = fs.readFileSync(path.join(PIXEL, 'model.safetensors'));
const SHA = sha256Hex(WEIGHTS);
const REPO = 'titok-test/tiny-vq-pixel';
const FILE_PATH = `/${REPO}/resolve/main/model.safetensors`;
let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({
    [REPO]: { dir: PIXEL, files: ['config.json', 'model.safetensors'] },
    'titok-test/gated': { dir: PIXEL, files: ['config.json', 'model.safetensors'], token: 'hf_secret' },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const opts = (dir: string, extra: object = {}) => ({ endpoint: server.endpoint, cacheDir: dir, retryDelayMs: 5, env: {}, ...extra });
const cdnGets = () => server.requests.filter((r) => r.server === 'cdn');

describe('downloads that go wrong', () => {
  test('a connection cut mid-file resumes from the cut and ends with the right sha256', async () => {
    const dir = tempDir();
    server.fault('cdn:model.safetensors', { cutAfter: 150_000 });
    const entry = await fetchHubFile(REPO, 'model.safetensors', opts(dir));
    expect(cdnGets().map((r) => r.range)).toStrictEqual([undefined, 'bytes=150000-']);
    expect(entry.meta.sha256).toBe(SHA);
    expect(sha256Hex(fs.readFileSync(entry.path!))).toBe(SHA);
  });

  test('a connection reset (RST) mid-file also resumes, and only from bytes that arrived', async () => {
    const dir = tempDir();
    server.fault('cdn:model.safetensors', { cutAfter: 200_000, destroy: true }, { cutAfter: 100_000, destroy: true });
    const entry = await fetchHubFile(REPO, 'model.safetensors', opts(dir));
    const ranges = cdnGets().map((r) => r.range);
    expect(ranges).toHaveLength(3);
    const starts = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r!)![1]));
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts[0]).toBeLessThanOrEqual(200_000);
    expect(starts[1]).toBeGreaterThan(starts[0]!);
    expect(sha256Hex(fs.readFileSync(entry.path!))).toBe(SHA);
  });

  test('an interrupted download is resumed by the next run (partial file kept on disk)', async () => {
    const dir = tempDir();
    server.fault('cdn:model.safetensors', { cutAfter: 300_000 }, { status: 503 }, { status: 503 });
    await expect(fetchHubFile(REPO, 'model.safetensors', opts(dir, { retries: 2 }))).rejects.toThrow(
      /gave up after 3 failed attempts \(HTTP 503\); 300000 bytes were kept, run again to resume/,
    );
    expect(filesUnder(dir)).toEqual([
      'hub/titok-test--tiny-vq-pixel/main/.titok/model.safetensors.incomplete',
      'hub/titok-test--tiny-vq-pixel/main/.titok/model.safetensors.incomplete.json',
    ]);
    server.requests.length = 0;
    const entry = await fetchHubFile(REPO, 'model.safetensors', opts(dir));
    expect(cdnGets().map((r) => r.range)).toStrictEqual(['bytes=300000-']);
    expect(sha256Hex(fs.readFileSync(entry.path!))).toBe(SHA);
    expect(filesUnder(dir)).toEqual([
      'hub/titok-test--tiny-vq-pixel/main/.titok/model.safetensors.json',
      'hub/titok-test--tiny-vq-pixel/main/model.safetensors',
    ]);
  });

  test('a server that ignores Range on the resume: the download restarts and is still right', async () => {
    const dir = tempDir();
    server.fault('cdn:model.safetensors', { cutAfter: 100_000 }, { ignoreRange: true });
    const entry = await fetchHubFile(REPO, 'model.safetensors', opts(dir));
    expect(cdnGets().map((r) => r.range)).toStrictEqual([undefined, 'bytes=100000-']);
    expect(entry.meta.size).toBe(WEIGHTS.length);
    expect(sha256Hex(fs.readFileSync(entry.path!))).toBe(SHA);
  });

  test('a corrupted byte is detected, nothing is cached, and the error says so', async () => {
    const dir = tempDir();
    server.fault('cdn:model.safetensors', { corruptByte: 300_000 });
    const err = await fetchHubFile(REPO, 'model.safetensors', opts(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(
      new RegExp(`^${REPO}/model.safetensors: integrity check failed: sha256 [0-9a-f]{64} does not match ${SHA} .*discarded and not cached$`),
    );
    expect(filesUnder(dir)).toEqual([]);
    // the next attempt downloads again from scratch and succeeds
    server.requests.length = 0;
    const entry = await fetchHubFile(REPO, 'model.safetensors', opts(dir));
    expect(cdnGets().map((r) => r.range)).toStrictEqual([undefined]);
    expect(entry.meta.sha256).toBe(SHA);
  });

  test('a registry sha256 that differs from the bytes is refused too', async () => {
    const dir = tempDir();
    const wrong = '0'.repeat(64);
    await expect(
      openHubModel(REPO, opts(dir, { expected: { 'model.safetensors': { sha256: wrong } } })),
    ).rejects.toThrow(`does not match ${wrong} given by the registry; the download was discarded and not cached`);
    expect(filesUnder(dir).filter((f) => f.includes('model.safetensors'))).toEqual([]);
  });

  test('404 names the repository, the file and the revision; an unknown repo says so', async () => {
    const dir = tempDir();
    const err = await fetchHubFile(REPO, 'nope.safetensors', opts(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.status).toBe(404);
    expect(err.message).toBe(
      `404 Not Found: ${REPO} has no file 'nope.safetensors' at revision 'main' (${server.endpoint}/${REPO}/resolve/main/nope.safetensors)`,
    );
    await expect(openHubModel('titok-test/missing', opts(dir))).rejects.toThrow(
      /^404 Not Found: repository titok-test\/missing does not exist on http:\/\/127\.0\.0\.1:\d+ \(if it is private, set HF_TOKEN=/,
    );
    expect(server.requests.map((r) => r.path)).toEqual([
      `/${REPO}/resolve/main/nope.safetensors`,
      '/titok-test/missing/resolve/main/config.json',
    ]); // no retry on 404
    expect(fs.readdirSync(dir)).toEqual([]); // no partial file, lock or empty folder left behind
  });

  test('500 then 200: retried with backoff, then served', async () => {
    const dir = tempDir();
    server.fault(FILE_PATH, { status: 500 }, { status: 502 });
    const t0 = Date.now();
    const entry = await fetchHubFile(REPO, 'model.safetensors', opts(dir, { retryDelayMs: 40 }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40 + 80);
    expect(server.requests.filter((r) => r.path === FILE_PATH)).toHaveLength(3);
    expect(entry.meta.sha256).toBe(SHA);
  });

  test('5xx forever: gives up after the retries with a clear message', async () => {
    const dir = tempDir();
    server.fault(FILE_PATH, { status: 503 }, { status: 503 }, { status: 503 });
    await expect(fetchHubFile(REPO, 'model.safetensors', opts(dir, { retries: 2 }))).rejects.toThrow(
      new RegExp(`^${REPO}/model.safetensors: gave up after 3 failed attempts \\(HTTP 503\\)$`),
    );
  });

  test('401 on a gated repo says how to pass a token; HF_TOKEN then works and is not sent to the CDN', async () => {
    const dir = tempDir();
    const err = await openHubModel('titok-test/gated', opts(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/^401 Unauthorized: cannot download titok-test\/gated\/config.json .*gated.*set HF_TOKEN=<your token> \(or pass the 'token' option\)$/);
    expect(server.requests).toHaveLength(1);

    const bad = await openHubModel('titok-test/gated', opts(dir, { token: 'hf_wrong' })).catch((e) => e);
    expect(bad.status).toBe(403);
    expect(bad.message).toMatch(/the token sent .* has no access/);

    server.requests.length = 0;
    const files = await openHubModel('titok-test/gated', opts(dir, { env: { HF_TOKEN: 'hf_secret' } }));
    expect(server.requests.filter((r) => r.server === 'hub').every((r) => r.auth === 'Bearer hf_secret')).toBe(true);
    expect(cdnGets()).toHaveLength(1);
    expect(cdnGets()[0]!.auth).toBeUndefined(); // dropped on the cross-origin redirect
    await files.weights.close();
  });

  test('an HTML page instead of weights is refused and not cached', async () => {
    const dir = tempDir();
    server.fault(FILE_PATH, { html: true });
    const err = await fetchHubFile(REPO, 'model.safetensors', opts(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(/model.safetensors: the server sent an HTML page \(content-type text\/html; charset=utf-8\), not the file/);
    expect(filesUnder(dir)).toEqual([]);
  });

  test('a plain URL is cached by URL, without a token', async () => {
    const dir = tempDir();
    const url = `${server.endpoint}/${REPO}/resolve/main/model.safetensors`;
    const entry = await fetchCachedUrl(url, opts(dir, { token: 'hf_secret' }));
    expect(server.requests.every((r) => r.auth === undefined)).toBe(true);
    expect(entry.path).toMatch(/url\/127\.0\.0\.1_\d+\/[0-9a-f]{16}\/model\.safetensors$/);
    server.requests.length = 0;
    await fetchCachedUrl(url, opts(dir));
    expect(server.requests).toHaveLength(0);
  });

  test('a cache that cannot store the bytes (disk full) fails at once, in one line, without retries', async () => {
    const base = memoryCache();
    let discarded = false;
    const full: ModelCache = {
      ...base,
      async begin(key, o) {
        const w = (await base.begin(key, o)) as CacheWriter;
        return {
          ...w,
          offset: 0,
          write: async () => {
            throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
          },
          discard: async () => {
            discarded = true;
          },
        };
      },
    };
    const err = await fetchHubFile(REPO, 'model.safetensors', { endpoint: server.endpoint, cache: full, env: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(/model\.safetensors: cannot write the download to the cache \(ENOSPC no space left on device\)$/);
    expect(cdnGets()).toHaveLength(1);
    expect(discarded).toBe(true);
  });

  test('cancelling keeps the partial bytes for a resume', async () => {
    const dir = tempDir();
    server.throttle = 200_000;
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('stop')), 400);
      await expect(fetchHubFile(REPO, 'model.safetensors', opts(dir, { signal: ac.signal }))).rejects.toMatchObject({ name: 'CancelledError' });
    } finally {
      server.throttle = 0;
    }
    expect(filesUnder(dir)).toContain('hub/titok-test--tiny-vq-pixel/main/.titok/model.safetensors.incomplete');
    server.requests.length = 0;
    const entry = await fetchHubFile(REPO, 'model.safetensors', opts(dir));
    expect(cdnGets()[0]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(sha256Hex(fs.readFileSync(entry.path!))).toBe(SHA);
  });
});
