/**
 * The playground in Chromium on the WASM backend (threaded SIMD build, cross-origin isolated),
 * used the way a person uses it: the bundled tiny model, the sample pictures, token editing,
 * interpolation, generation, and local model files by picker and by drag-and-drop. The numbers
 * on the page are checked against the reference fixtures and against the library in Node.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launch } from './helpers/browser';
import type { Browser } from './helpers/browser';
import { TOKENIZER, fixtureDir, tinyExpectations } from './helpers/fixtures';
import type { TinyExpectations } from './helpers/fixtures';
import { afterSlotRun, canvasPixels, countDiff, dataset, maxAbsDiff, psnr, setValue, shownTokens } from './helpers/page-data';
import { expectGuidedSearch, toggleSearch } from './helpers/code-search';
import { referenceGeneration } from './helpers/reference';
import { artifact, serveSite } from './helpers/site';
import type { Server } from './helpers/site';

let server: Server;
let browser: Browser;
let want: TinyExpectations;

/** Longest stall of the page's main thread (ms), from a timer that should fire every 50 ms. */
const HEARTBEAT = `(() => { let last = performance.now(); window.__maxGap = 0;
  setInterval(() => { const now = performance.now(); window.__maxGap = Math.max(window.__maxGap, now - last); last = now; }, 50); })();`;

beforeAll(async () => {
  want = await tinyExpectations();
  server = await serveSite();
  browser = await launch(server.url);
  await browser.context.addInitScript(HEARTBEAT);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const page = () => browser.page;

async function shot(name: string): Promise<void> {
  await page().evaluate(() => window.scrollTo(0, 0));
  await page().screenshot({ path: artifact(name), fullPage: true });
}

async function ready(): Promise<void> {
  await page().waitForSelector('[data-testid="model-status"][data-tokenizer="ready"][data-generator="ready"]', { timeout: 120_000 });
}

/** Clicks a sample picture into slot a or b and waits for its tokens. */
async function tokenizeSample(slot: 'a' | 'b', picture: string): Promise<void> {
  await afterSlotRun(page(), slot, () => page().click(`[data-testid="sample-${slot}-${picture}"]`), 120_000);
}

/** Runs `action` and waits for the explore panel's next decode to finish. */
async function afterDecode(action: () => Promise<void>): Promise<void> {
  const before = Number((await dataset(page(), 'explore')).decodes);
  await action();
  await page().waitForFunction(
    (n) => {
      const el = document.querySelector<HTMLElement>('[data-testid="explore"]');
      return Number(el?.dataset.decodes) > n && el?.dataset.busy === 'false';
    },
    before,
    { timeout: 60_000 },
  );
}

async function expectPicture(slot: 'a' | 'b', index: number): Promise<void> {
  const p = want.pictures[index]!;
  expect(await shownTokens(page(), `tokens-${slot}`)).toEqual(p.tokens);
  const input = await canvasPixels(page(), `input-${slot}`);
  expect([input.width, input.height]).toEqual([want.size, want.size]);
  expect(maxAbsDiff(input.rgb, p.input)).toBe(0); // Pillow's bicubic resize, byte for byte
  const recon = await canvasPixels(page(), `recon-${slot}`);
  expect(maxAbsDiff(recon.rgb, p.reconstruction)).toBeLessThanOrEqual(1); // within 1/255
  const shown = Number((await dataset(page(), `psnr-${slot}`)).psnr);
  expect(shown).toBeCloseTo(psnr(p.input, p.reconstruction), 1);
}

describe('the playground on wasm', () => {
  test('starts on threaded SIMD wasm in a cross-origin-isolated page and loads the bundled model', async () => {
    await page().goto(`${server.url}/playground?model=tiny-random&backend=wasm&threads=2&samples=off`);
    await ready();
    expect(await page().evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    const s = await dataset(page(), 'backend-status');
    expect(s).toMatchObject({ backend: 'wasm', simd: 'true', isolated: 'true', wasmBinary: 'tfjs-backend-wasm-threaded-simd.wasm' });
    // tfjs gives the pool min(asked, hardwareConcurrency / 2) threads
    expect(Number(s.threads)).toBe(Math.max(1, Math.min(2, Math.floor(Number(s.cores) / 2))));
    expect(browser.requests.some((u) => u.endsWith('/wasm/tfjs-backend-wasm-threaded-simd.wasm'))).toBe(true);
    expect(browser.requests.some((u) => u.endsWith('/models/tiny-random/tokenizer/model.json'))).toBe(true);
    await shot('wasm-1-loaded.png');
  });

  test('tokenizes the sample pictures into the reference tokens and reconstructions', async () => {
    await tokenizeSample('a', 'chelsea_256');
    await tokenizeSample('b', 'coffee_256');
    await expectPicture('a', 0);
    await expectPicture('b', 1);
    await shot('wasm-2-tokenized.png');
  });

  test('the guided code search gives the library\'s searched tokens and reconstructs better; turned off, the reference tokens come back', async () => {
    // The label states the guided search's cost: 2 tried codes a token, one sweep.
    expect(await page().locator('label:has([data-testid="search-a"])').textContent()).toContain(`(${want.numTokens * 2} decodes)`);
    await expectGuidedSearch(page(), want);
    await toggleSearch(page());
    await expectPicture('a', 0);
  });

  test('editing one token changes the decode; splicing in all of B gives B', async () => {
    const a = await canvasPixels(page(), 'recon-a');
    await page().click('[data-testid="edit-tokens"] .pg-token[data-index="3"]');
    const old = want.pictures[0]!.tokens[3]!;
    const next = (old + want.codebookSize / 2) % want.codebookSize;
    await afterDecode(() => setValue(page(), 'token-value', next));
    expect(await shownTokens(page(), 'edit-tokens')).toEqual(Object.assign([...want.pictures[0]!.tokens], { 3: next }));
    const edited = await canvasPixels(page(), 'edit-image');
    expect(countDiff(edited.rgb, a.rgb)).toBeGreaterThan(want.size * want.size * 0.05);
    await shot('wasm-3-token-edited.png');

    await setValue(page(), 'splice-from', 0);
    await setValue(page(), 'splice-to', want.numTokens - 1);
    await afterDecode(() => page().click('[data-testid="splice"]'));
    expect(await shownTokens(page(), 'edit-tokens')).toEqual(want.pictures[1]!.tokens);
    expect(maxAbsDiff((await canvasPixels(page(), 'edit-image')).rgb, want.pictures[1]!.reconstruction)).toBeLessThanOrEqual(1);
  });

  test('interpolates from A to B: the end frames are the two reconstructions', async () => {
    await page().click('[data-testid="interpolate"]');
    const frames = page().locator('[data-testid="interp-frames"] canvas');
    await frames.nth(6).waitFor({ timeout: 60_000 });
    expect(await frames.count()).toBe(7);
    const pixels = await frames.evaluateAll((cs: HTMLCanvasElement[]) =>
      cs.map((c) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 !== 3)),
    );
    expect(maxAbsDiff(pixels[0]!, want.pictures[0]!.reconstruction)).toBeLessThanOrEqual(1);
    expect(maxAbsDiff(pixels[6]!, want.pictures[1]!.reconstruction)).toBeLessThanOrEqual(1);
    expect(countDiff(pixels[3]!, pixels[0]!)).toBeGreaterThan(0);
    await shot('wasm-4-interpolated.png');
  });

  test('generates an image step by step: same tokens and image as the library in Node', async () => {
    const classLabel = 3;
    const seed = 7;
    const ref = await referenceGeneration(classLabel, seed);
    await page().selectOption('[data-testid="gen-class"]', String(classLabel));
    await page().fill('[data-testid="gen-seed"]', String(seed));
    const steps = Number(await page().inputValue('[data-testid="gen-steps"]'));
    expect(steps).toBeGreaterThan(1);
    await page().click('[data-testid="gen-run"]');
    await page().waitForSelector('[data-testid="gen-status"][data-done="true"]', { timeout: 120_000 });
    expect(await shownTokens(page(), 'gen-tokens')).toEqual(ref.tokens);
    expect(await page().locator('[data-testid="gen-previews"] canvas').count()).toBe(steps);
    const image = await canvasPixels(page(), 'gen-image');
    expect([image.width, image.height]).toEqual([want.size, want.size]);
    expect(maxAbsDiff(image.rgb, ref.image)).toBeLessThanOrEqual(1);
    await shot('wasm-5-generated.png');
  });

  test('loads local model files by the file picker (.bin) and by drag-and-drop (.safetensors)', async () => {
    await page().click('[data-testid="model-tab-files"]');
    await page().selectOption('[data-testid="files-role"]', 'tokenizer');
    await page().setInputFiles('[data-testid="model-files"]', [path.join(fixtureDir(TOKENIZER), 'config.json'), path.join(fixtureDir(TOKENIZER), 'pytorch_model.bin')]);
    await page().waitForSelector('[data-testid="model-status"][data-tokenizer-name="pytorch_model.bin"]', { timeout: 60_000 });
    await tokenizeSample('a', 'coffee_256');
    expect(await shownTokens(page(), 'tokens-a')).toEqual(want.pictures[1]!.tokens);

    const files = {
      config: fs.readFileSync(path.join(fixtureDir(TOKENIZER), 'config.json'), 'utf8'),
      weights: fs.readFileSync(path.join(fixtureDir(TOKENIZER), 'model.safetensors')).toString('base64'),
    };
    const transfer = await page().evaluateHandle(({ config, weights }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([config], 'config.json', { type: 'application/json' }));
      dt.items.add(new File([Uint8Array.from(atob(weights), (ch) => ch.charCodeAt(0))], 'model.safetensors'));
      return dt;
    }, files);
    await page().dispatchEvent('[data-testid="model-drop"]', 'drop', { dataTransfer: transfer });
    await page().waitForSelector('[data-testid="model-status"][data-tokenizer-name="model.safetensors"]', { timeout: 60_000 });
    await tokenizeSample('a', 'chelsea_256');
    await expectPicture('a', 0);
    await shot('wasm-6-local-files.png');
  });

  test('an image picked with the file chooser or dropped on a slot is tokenized', async () => {
    await afterSlotRun(page(), 'a', () => page().setInputFiles('[data-testid="pick-a"]', path.join(fixtureDir('images'), 'coffee_256.png')), 60_000);
    expect(await shownTokens(page(), 'tokens-a')).toEqual(want.pictures[1]!.tokens);

    const png = fs.readFileSync(path.join(fixtureDir('images'), 'chelsea_256.png')).toString('base64');
    const transfer = await page().evaluateHandle((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(bytes), (ch) => ch.charCodeAt(0))], 'chelsea.png', { type: 'image/png' }));
      return dt;
    }, png);
    await afterSlotRun(page(), 'b', () => page().dispatchEvent('[data-testid="slot-b"]', 'drop', { dataTransfer: transfer }), 60_000);
    expect(await shownTokens(page(), 'tokens-b')).toEqual(want.pictures[0]!.tokens);
    expect(maxAbsDiff((await canvasPixels(page(), 'recon-b')).rgb, want.pictures[0]!.reconstruction)).toBeLessThanOrEqual(1);
  });

  test('loads converted weights by URL', async () => {
    const url = `${server.url}/models/tiny-random/tokenizer/model.json`;
    await page().click('[data-testid="model-tab-url"]');
    await page().fill('[data-testid="model-url"]', url);
    await page().click('[data-testid="load-url"]');
    await page().waitForSelector(`[data-testid="model-status"][data-tokenizer-name="${url}"]`, { timeout: 60_000 });
    await tokenizeSample('a', 'chelsea_256');
    expect(await shownTokens(page(), 'tokens-a')).toEqual(want.pictures[0]!.tokens);
  });

  test('the page never stalled, made no request outside 127.0.0.1 and logged no errors', async () => {
    // all model work runs in the worker: the page's own timers keep firing
    const maxGap = await page().evaluate(() => (globalThis as unknown as { __maxGap: number }).__maxGap);
    expect(maxGap).toBeLessThan(1500);
    expect(browser.blocked).toEqual([]);
    expect(browser.requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith(`blob:${server.url}/`))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
