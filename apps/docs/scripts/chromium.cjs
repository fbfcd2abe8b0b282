/**
 * Chromium for every browser test and benchmark of the repository: Debian's /usr/bin/chromium
 * (or TITOK_CHROMIUM) driven by playwright-core, so nothing is downloaded; the flags this
 * machine needs (no sandbox, no background traffic, WebGPU on, SwiftShader where there is no
 * GPU); a fresh temporary profile per launch, removed again by close().
 *
 *   const { launchChromium } = require('.../apps/docs/scripts/chromium.cjs');
 *   const { context, close } = await launchChromium({ profilePrefix: 'titok-bench-' });
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CHROMIUM = process.env.TITOK_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/**
 * Launches Chromium on a fresh profile. `hardwareConcurrency` makes pages report that many
 * cores (tfjs starts navigator.hardwareConcurrency / 2 wasm threads); other options go to
 * playwright's launchPersistentContext.
 *
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, profile: string, close(): Promise<void> }>}
 */
async function launchChromium({ profilePrefix = 'titok-chromium-', hardwareConcurrency, ...options } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), profilePrefix));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, ...options });
    if (hardwareConcurrency !== undefined) {
      await context.addInitScript(`Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => ${Number(hardwareConcurrency)} })`);
    }
  } catch (e) {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    profile,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

module.exports = { CHROMIUM, CHROMIUM_ARGS, launchChromium };
