/**
 * The documentation pages of the built site, in Chromium: every guide page renders, the model
 * zoo shows the twelve released models with @titok/core's numbers, the API reference covers the
 * public classes, and nothing is fetched from outside 127.0.0.1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GENERATOR_PRESETS, TOKENIZER_PRESETS } from '@titok/core';
import { launch } from './helpers/browser';
import type { Browser } from './helpers/browser';
import { DIST, artifact, serveSite } from './helpers/site';
import type { Server } from './helpers/site';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fixApiMarkdown } = require('../scripts/api-postprocess.cjs') as { fixApiMarkdown: (markdown: string) => string };

let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = await serveSite();
  browser = await launch(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const page = () => browser.page;

async function open(route: string): Promise<void> {
  const res = await page().goto(`${server.url}${route}`);
  expect(res?.status()).toBe(200);
  await page().waitForLoadState('networkidle');
}

describe('the documentation site', () => {
  test('every guide page in the sidebar renders with its title', async () => {
    await open('/guide/getting-started');
    const links = await page().locator('.VPSidebar a.link').evaluateAll((as: HTMLAnchorElement[]) => as.map((a) => [a.pathname, a.textContent!.trim()]));
    expect(links.map(([p]) => p)).toEqual(
      ['getting-started', 'backends', 'converting', 'loading-by-name', 'generation', 'model-zoo', 'performance', 'cli', 'training'].map((p) => `/guide/${p}`),
    );
    for (const [route, text] of links) {
      await open(route!);
      const h1 = (await page().locator('.vp-doc h1').first().innerText()).replace(/\s+/g, ' ');
      expect(h1.toLowerCase()).toContain(text!.toLowerCase().replace(/^the /, '').slice(0, 12));
      await page().screenshot({ path: artifact(`site-${route!.split('/').pop()}.png`), fullPage: true });
    }
  });

  test('the model zoo lists the twelve released models with the presets\' numbers and the reported FIDs', async () => {
    await open('/guide/model-zoo');
    const rows = async (table: string) =>
      page().locator(`[data-testid="${table}"] tbody tr`).evaluateAll((trs: HTMLTableRowElement[]) => trs.map((tr) => [...tr.cells].map((c) => c.innerText.trim())));
    const tokenizers = await rows('zoo-tokenizers');
    const generators = await rows('zoo-generators');
    expect(tokenizers).toHaveLength(9);
    expect(generators).toHaveLength(3);
    const fmt = (n: number) => n.toLocaleString('en-US');
    for (const [i, p] of TOKENIZER_PRESETS.entries()) {
      const [name, tokens, codes, params, , rfid] = tokenizers[i]!;
      expect(name).toContain(p.shortName);
      expect(name).toContain(p.hubRepo!);
      expect(Number(tokens)).toBe(p.config.numLatentTokens);
      expect(codes).toContain(p.config.quantizeMode === 'vq' ? String(p.config.codebookSize) : `${p.config.tokenSize} ch`);
      expect(params).toBe(fmt(p.parameters));
      expect(Number(rfid)).toBeGreaterThan(0);
    }
    for (const [i, p] of GENERATOR_PRESETS.entries()) {
      const [name, tokens, , params, , gfid] = generators[i]!;
      expect(name).toContain(p.shortName);
      expect(Number(tokens)).toBe(p.config.imageSeqLen);
      expect(params).toBe(fmt(p.parameters));
      expect(Number(gfid)).toBeGreaterThan(0);
    }
    // the source of the scores is cited
    await expect(page().locator('a[href*="bytedance/1d-tokenizer"]').count()).resolves.toBeGreaterThan(0);
  });

  test('the API reference is generated from the TSDoc comments of the four packages', async () => {
    await open('/api/');
    for (const pkg of ['core', 'io', 'tokenizer', 'generator']) {
      await expect(page().locator(`.vp-doc a[href*="${pkg}/"]`).count()).resolves.toBeGreaterThan(0);
    }
    await open('/api/tokenizer/classes/TiTok');
    const text = await page().locator('.vp-doc').innerText();
    for (const member of ['fromPretrained', 'encode', 'decode', 'reconstruct', 'dispose']) expect(text).toContain(member);
    expect(text).toContain('An Image is Worth 32 Tokens'); // the class comment
    for (const route of ['/api/core/functions/selectBackend', '/api/generator/classes/TitokGenerator', '/api/io/functions/openModelSource', '/api/tokenizer/functions/prepareImages']) {
      await open(route);
      expect((await page().locator('.vp-doc h1').innerText()).length).toBeGreaterThan(0);
    }
    await page().screenshot({ path: artifact('site-api-prepareImages.png'), fullPage: true });
    // every page TypeDoc wrote was rendered
    const md = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? md(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : []));
    const sources = md(path.join(DIST, '../../api'));
    expect(sources.length).toBeGreaterThan(50);
    for (const s of sources) {
      const html = path.join(DIST, 'api', path.relative(path.join(DIST, '../../api'), s).replace(/\.md$/, '.html'));
      expect(fs.existsSync(html)).toBe(true);
    }
  });

  test('TSDoc text that looks like HTML or Vue stays text', () => {
    const fixed = fixApiMarkdown('a magic `00 00 <type>\n<rank>` here\n\n```ts\n<T>\n```\n');
    expect(fixed).toContain('`00 00 <type> <rank>` here');
    expect(fixed).toContain('```ts\n<T>\n```'); // code blocks untouched
    expect(fixed.startsWith('<div v-pre>\n\n')).toBe(true);
    expect(fixApiMarkdown(fixed)).toBe(fixed);
  });

  test('no page requested anything outside 127.0.0.1', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.requests.filter((u) => !u.startsWith(`${server.url}/`))).toEqual([]);
    expect(server.requests.filter((r) => r.status >= 400)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
