/**
 * Chromium for the docs tests: Debian's /usr/bin/chromium driven by playwright-core (nothing is
 * downloaded), a fresh profile per run, WebGPU on (SwiftShader on machines without a GPU), and
 * a record of every request the page and its workers make.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.TITOK_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Every URL requested (pages, workers, fetches), in order. */
  requests: string[];
  /** Requests to anything but `allowedOrigin`, aborted. */
  blocked: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  profile: string;
  close(): Promise<void>;
}

/** Launches Chromium on a fresh temporary profile; requests outside `allowedOrigin` are recorded and aborted. */
export async function launch(allowedOrigin: string): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-docs-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const requests: string[] = [];
  const blocked: string[] = [];
  const errors: string[] = [];
  const local = (url: string) => url.startsWith(`${allowedOrigin}/`) || url.startsWith(`blob:${allowedOrigin}/`) || url.startsWith('data:');
  context.on('request', (r) => requests.push(r.url()));
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (local(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    context,
    page,
    requests,
    blocked,
    errors,
    profile,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
