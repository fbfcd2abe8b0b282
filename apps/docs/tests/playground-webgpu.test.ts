/**
 * The playground as a visitor first sees it ('auto' backend, the bundled model and its sample
 * pictures tokenized on their own), then switched to WebGPU with the backend picker. On machines
 * without a GPU the adapter is Chromium's SwiftShader (software, slow): the work stays tiny.
 */
import { launch } from './helpers/browser';
import type { Browser } from './helpers/browser';
import { tinyExpectations } from './helpers/fixtures';
import type { TinyExpectations } from './helpers/fixtures';
import { canvasPixels, countDiff, dataset, maxAbsDiff, setValue, shownTokens } from './helpers/page-data';
import { expectGuidedSearch, toggleSearch } from './helpers/code-search';
import { referenceGeneration } from './helpers/reference';
import { artifact, serveSite } from './helpers/site';
import type { Server } from './helpers/site';

let server: Server;
let browser: Browser;
let want: TinyExpectations;

beforeAll(async () => {
  want = await tinyExpectations();
  server = await serveSite();
  browser = await launch(server.url);
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

/** Waits until both slots show tokens computed after `runs` (their data-runs counters). */
async function slotsTokenizedAfter(runs: { a: number; b: number }): Promise<void> {
  await page().waitForFunction(
    (r) =>
      (['a', 'b'] as const).every((s) => {
        const el = document.querySelector<HTMLElement>(`[data-testid="slot-${s}"]`);
        return Number(el?.dataset.runs) > r[s] && el?.dataset.busy === 'false' && !!el?.querySelector(`[data-testid="tokens-${s}"]`);
      }),
    runs,
    { timeout: 240_000 },
  );
}

async function runsNow(): Promise<{ a: number; b: number }> {
  return { a: Number((await dataset(page(), 'slot-a')).runs), b: Number((await dataset(page(), 'slot-b')).runs) };
}

describe('the playground on auto, then webgpu', () => {
  test("opens with 'auto', says what it chose and why, and tokenizes the bundled samples", async () => {
    await page().goto(`${server.url}/playground?model=tiny-random`);
    await slotsTokenizedAfter({ a: 0, b: 0 });
    const s = await dataset(page(), 'backend-status');
    const text = await page().locator('[data-testid="backend-status"]').innerText();
    expect(text).toContain('"auto" chose');
    if (s.backend === 'wasm') expect(text).toMatch(/skipped webgpu: .+/); // no hardware adapter here
    else expect(s.backend).toBe('webgpu');
    expect(await shownTokens(page(), 'tokens-a')).toEqual(want.pictures[0]!.tokens);
    expect(await shownTokens(page(), 'tokens-b')).toEqual(want.pictures[1]!.tokens);
    await shot('auto-1-default.png');
  });

  test('the backend picker switches to webgpu: same tokens, reconstructions within 1/255', async () => {
    const before = await runsNow();
    await page().selectOption('[data-testid="backend-select"]', 'webgpu');
    await page().waitForSelector('[data-testid="backend-status"][data-backend="webgpu"]', { timeout: 60_000 });
    await slotsTokenizedAfter(before);
    const text = await page().locator('[data-testid="backend-status"]').innerText();
    expect(text).toMatch(/Running on webgpu on \S+/);
    for (const [slot, i] of [['a', 0], ['b', 1]] as const) {
      expect(await shownTokens(page(), `tokens-${slot}`)).toEqual(want.pictures[i]!.tokens);
      expect(maxAbsDiff((await canvasPixels(page(), `recon-${slot}`)).rgb, want.pictures[i]!.reconstruction)).toBeLessThanOrEqual(1);
    }
    await shot('webgpu-1-tokenized.png');
  });

  test('on webgpu, editing a token changes the reconstruction', async () => {
    const a = await canvasPixels(page(), 'recon-a');
    const decodes = Number((await dataset(page(), 'explore')).decodes);
    await page().click('[data-testid="edit-tokens"] .pg-token[data-index="5"]');
    const next = (want.pictures[0]!.tokens[5]! + 1) % want.codebookSize;
    await setValue(page(), 'token-value', next);
    await page().waitForFunction(
      (n) => {
        const el = document.querySelector<HTMLElement>('[data-testid="explore"]');
        return Number(el?.dataset.decodes) > n && el?.dataset.busy === 'false';
      },
      decodes,
      { timeout: 120_000 },
    );
    expect((await shownTokens(page(), 'edit-tokens'))[5]).toBe(next);
    expect(countDiff((await canvasPixels(page(), 'edit-image')).rgb, a.rgb)).toBeGreaterThan(0);
    await shot('webgpu-2-token-edited.png');
  });

  test('on webgpu, the guided code search (a backward pass, then decodes) gives the library\'s tokens and reconstructs better; turned off, the reference tokens come back', async () => {
    await expectGuidedSearch(page(), want, 240_000);
    expect(await page().locator('[data-testid="backend-status"]').getAttribute('data-backend')).toBe('webgpu');
    await toggleSearch(page(), 240_000);
    expect(await shownTokens(page(), 'tokens-a')).toEqual(want.pictures[0]!.tokens);
  });

  test('on webgpu, generation gives the same tokens as the library in Node and draws the image', async () => {
    const ref = await referenceGeneration(5, 11);
    await page().selectOption('[data-testid="gen-class"]', '5');
    await page().fill('[data-testid="gen-seed"]', '11');
    await page().locator('[data-testid="gen-previews-toggle"]').uncheck(); // one decode instead of one per step
    await page().click('[data-testid="gen-run"]');
    await page().waitForSelector('[data-testid="gen-status"][data-done="true"]', { timeout: 240_000 });
    expect(await shownTokens(page(), 'gen-tokens')).toEqual(ref.tokens);
    expect(maxAbsDiff((await canvasPixels(page(), 'gen-image')).rgb, ref.image)).toBeLessThanOrEqual(1);
    await shot('webgpu-3-generated.png');
  });

  test('no request left 127.0.0.1 and nothing failed', async () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith(`blob:${server.url}/`))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
