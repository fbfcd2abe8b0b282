/**
 * Chromium for the docs tests (launched by scripts/chromium.cjs: Debian's /usr/bin/chromium,
 * a fresh profile per run, WebGPU on), with a record of every request the page and its workers
 * make.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium.cjs';

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
  const { context, profile, close } = await launchChromium({ profilePrefix: 'titok-docs-profile-', viewport: { width: 1280, height: 900 } });
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
    close,
  };
}
