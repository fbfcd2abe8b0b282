/**
 * In Chromium (Debian's, driven by playwright-core): backend selection — auto passes over the
 * SwiftShader (software) adapter and takes threaded SIMD wasm on a cross-origin-isolated page;
 * an explicit 'webgpu' runs on it — and prepareImages from <img>, <canvas>, ImageData and
 * ImageBitmap, which must give the reference's inputs exactly.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchChromium } from '../../apps/docs/scripts/chromium.cjs';
import type { LaunchedChromium } from '../../apps/docs/scripts/chromium.cjs';
import { FIXTURES, loadExpected } from '../helpers/fixtures.js';
import { bundle } from '../hub/helpers/bundle.js';

const ROOT = path.resolve(__dirname, '../..');
const WASM_DIR = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.png': 'image/png', '.html': 'text/html' };

let server: http.Server;
let browser: LaunchedChromium;
let pageDir: string;

/** Serves the bundle, the wasm binaries and the fixture pictures, cross-origin isolated. */
function serve(): Promise<string> {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = url.pathname.startsWith('/wasm/')
      ? path.join(WASM_DIR, path.basename(url.pathname))
      : url.pathname.startsWith('/images/')
        ? path.join(FIXTURES, 'images', path.basename(url.pathname))
        : path.join(pageDir, url.pathname === '/' ? 'index.html' : path.basename(url.pathname));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-backend-page-'));
  await bundle(path.join(__dirname, 'browser/entry.ts'), pageDir, 'browser');
  fs.writeFileSync(path.join(pageDir, 'index.html'), '<!DOCTYPE html><meta charset="utf-8"><script type="module" src="/main.js"></script>');
  // tfjs sizes the wasm thread pool from hardwareConcurrency / 2: report 4 cores for 2 threads
  browser = await launchChromium({ profilePrefix: 'titok-backend-profile-', hardwareConcurrency: 4 });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  fs.rmSync(pageDir, { recursive: true, force: true });
});

it('selects backends and prepares browser images exactly like the reference', async () => {
  const base = await serve();
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(`${base}/index.html`);
  await page.waitForFunction(() => (globalThis as { titokReady?: boolean }).titokReady === true);
  const r = await page.evaluate((size) => (globalThis as unknown as { titokRun: (s: number) => Promise<any> }).titokRun(size), 32);

  expect(r.crossOriginIsolated).toBe(true);
  expect(r.auto).toMatchObject({ backend: 'wasm', requested: 'auto', simd: true, threads: 2 });
  expect(r.autoText).toBe('wasm (SIMD, 2 threads)');
  expect(r.auto.skipped).toHaveLength(1);
  expect(r.auto.skipped[0].reason).toMatch(/^only a software \(fallback\) WebGPU adapter, .*swiftshader/i);

  const expected = (await loadExpected('titok_tiny_vq_pixel')).get('inputs.images')!; // N C H W, coffee is n = 1
  const want: number[] = [];
  for (let i = 0; i < 32 * 32; i++) for (let c = 0; c < 3; c++) want.push(expected.data[(3 + c) * 32 * 32 + i]!);
  for (const kind of ['HTMLImageElement', 'HTMLCanvasElement', 'ImageData', 'ImageBitmap']) {
    expect([kind, r.images[kind]]).toEqual([kind, want]);
  }
  expect(r.notLoaded).toBe('InputError: image is empty (0x0 pixels)');
  expect(r.leaked).toBe(0);

  expect(r.webgpu).toMatchObject({ backend: 'webgpu', requested: 'webgpu', adapter: { isFallbackAdapter: true } });
  expect(r.webgpuMatMul).toEqual([11]);
  expect(r.webgpuImage).toEqual(want);
});
