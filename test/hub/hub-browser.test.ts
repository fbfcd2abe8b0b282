import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { toFloat32 } from '@titok/core';
import { readSafetensors } from '@titok/io';
import { FIXTURES } from '../helpers/fixtures.js';
import { bundle } from './helpers/bundle.js';
import { sha256Hex, startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { tempDir } from './helpers/temp.js';
import { launchChromium } from '../../apps/docs/scripts/chromium.cjs';
import type { LaunchedChromium } from '../../apps/docs/scripts/chromium.cjs';

const PIXEL = path.join(FIXTURES, 'titok_tiny_vq_pixel');
const REPO = 'titok-test/tiny-vq-pixel';
let server: HubServer;
let browser: LaunchedChromium | undefined;
let page: Page;
let expectedSum = 0;
const expectedSha = sha256Hex(fs.readFileSync(path.join(PIXEL, 'model.safetensors')));
let tensorBytesSha = '';
let tensorCount = 0;

beforeAll(async () => {
  server = await startHubServer({ [REPO]: { dir: PIXEL, files: ['config.json', 'model.safetensors'] } });
  const out = tempDir('titok-page-');
  await bundle(path.join(__dirname, 'browser/entry.ts'), out, 'browser');
  for (const f of fs.readdirSync(out)) server.statics.set(`/${f}`, ['text/javascript', fs.readFileSync(path.join(out, f))]);
  server.statics.set('/index.html', ['text/html', '<!DOCTYPE html><meta charset="utf-8"><script type="module" src="/main.js"></script>']);
  const sd = await readSafetensors(fs.readFileSync(path.join(PIXEL, 'model.safetensors')));
  const h = require('node:crypto').createHash('sha256');
  for (const t of sd.tensors.values()) {
    const bytes = await t.read();
    h.update(bytes);
    expectedSum += toFloat32(bytes, t.dtype).reduce((a, b) => a + b, 0);
  }
  tensorBytesSha = h.digest('hex');
  tensorCount = sd.tensors.size;
  browser = await launchChromium({ profilePrefix: 'titok-profile-' });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const modelRequests = () => server.requests.filter((r) => r.server === 'cdn' || r.path.includes('/resolve/'));

async function open(): Promise<void> {
  await page.goto(`${server.endpoint}/index.html`);
  await page.waitForFunction(() => (globalThis as { titokReady?: boolean }).titokReady === true);
}

type Load = (what: string, how: 'url' | 'hub', opts?: { endpoint?: string; idb?: boolean; dtype?: 'fp16' }) => Promise<Record<string, any>>;
const load = (what: string, how: 'url' | 'hub', opts: { endpoint?: string; idb?: boolean; dtype?: 'fp16' } = {}) =>
  page.evaluate(([w, h, o]) => (globalThis as unknown as { titokLoad: Load }).titokLoad(w, h, o), [what, how, opts] as const);

describe('in Chromium', () => {
  test('a model loaded by URL goes through the Cache API; the second load makes no request', async () => {
    const url = `${server.endpoint}/${REPO}/resolve/main/`;
    await open();
    server.requests.length = 0;
    const first = await load(url, 'url');
    expect(first).toMatchObject({ cacheKind: 'cache-api', weightsFile: 'model.safetensors', config: true, tensors: tensorCount, variables: tensorCount, leakedTensors: 0 });
    expect(first.sha256).toBe(tensorBytesSha);
    expect(first.sum).toBeCloseTo(expectedSum, 2);
    expect(first.events).toEqual(expect.arrayContaining(['initiate config.json', 'download model.safetensors', 'progress model.safetensors', 'done model.safetensors', 'ready']));
    // followed the redirect to the CDN (another origin, CORS)
    expect(modelRequests().map((r) => `${r.server} ${r.path}`)).toEqual([
      `hub /${REPO}/resolve/main/model.safetensors`,
      `cdn /blobs/${expectedSha}`,
      `hub /${REPO}/resolve/main/config.json`,
    ]);
    const stored = await page.evaluate(async () => {
      const c = await caches.open('titok-models');
      return Promise.all((await c.keys()).map(async (r) => [r.url, (await (await c.match(r))!.blob()).size]));
    });
    expect(stored).toEqual(expect.arrayContaining([[`${url}config.json`, 1129], [`${url}model.safetensors`, 422064]]));

    // a fresh page (new JavaScript context): zero model requests
    await open();
    server.requests.length = 0;
    const second = await load(url, 'url');
    expect(modelRequests()).toHaveLength(0);
    expect(second).toMatchObject({ cacheKind: 'cache-api', sha256: tensorBytesSha, variables: tensorCount, leakedTensors: 0 });
    expect(second.events).not.toContain('download model.safetensors');

    // a float16 copy is cached under its own key and leaves the float32 entry intact
    const half = await load(url, 'url', { dtype: 'fp16' });
    expect(half).toMatchObject({ weightsFile: 'model.fp16.safetensors', tensors: tensorCount, leakedTensors: 0 });
    expect(half.sum).toBeCloseTo(expectedSum, 0);
    expect(modelRequests()).toHaveLength(0);
    expect((await load(url, 'url')).sha256).toBe(tensorBytesSha);

    // without the Cache API entries it downloads again: the Cache API (not the HTTP cache) served it
    await page.evaluate(() => caches.delete('titok-models'));
    server.requests.length = 0;
    await load(url, 'url');
    expect(modelRequests().length).toBeGreaterThanOrEqual(3);
  });

  test('a model by hub id, cached in IndexedDB when asked (the fallback store)', async () => {
    await open();
    server.requests.length = 0;
    const first = await load(REPO, 'hub', { endpoint: server.endpoint, idb: true });
    expect(first).toMatchObject({ cacheKind: 'indexeddb', sha256: tensorBytesSha, config: true });
    expect(modelRequests().length).toBe(3);
    await open();
    server.requests.length = 0;
    const second = await load(REPO, 'hub', { endpoint: server.endpoint, idb: true });
    expect(second.sha256).toBe(tensorBytesSha);
    expect(modelRequests()).toHaveLength(0);
  });

  test('in the page too, a cut connection resumes with Range and a corrupted byte is refused, not cached', async () => {
    const url = `${server.endpoint}/${REPO}/resolve/main/model.safetensors`;
    await open();
    await page.evaluate(() => caches.delete('titok-models'));
    server.requests.length = 0;
    server.fault('cdn:model.safetensors', { cutAfter: 100_000 });
    const ok = await load(url, 'url');
    expect(ok.sha256).toBe(tensorBytesSha);
    expect(server.requests.filter((r) => r.server === 'cdn' && r.method === 'GET').map((r) => r.range)).toStrictEqual([undefined, 'bytes=100000-']);

    await page.evaluate(() => caches.delete('titok-models'));
    server.fault('cdn:model.safetensors', { corruptByte: 1234 });
    const err = await load(url, 'url').catch((e: Error) => e.message);
    expect(err).toMatch(/integrity check failed: sha256 [0-9a-f]{64} does not match [0-9a-f]{64} given by the server .*discarded and not cached/);
    const stored = await page.evaluate(async () => (await (await caches.open('titok-models')).keys()).map((r) => r.url));
    expect(stored).not.toContain(url);
  });
});
