/** Typed access to apps/docs/scripts/chromium.cjs, the one Chromium launcher of the repository. */
import type { BrowserContext, LaunchOptions } from 'playwright-core';

export interface LaunchedChromium {
  context: BrowserContext;
  /** The fresh temporary profile, removed by close(). */
  profile: string;
  close(): Promise<void>;
}

export interface LaunchChromiumOptions extends Omit<LaunchOptions, 'args' | 'executablePath'> {
  profilePrefix?: string;
  /** Cores the pages report (tfjs starts navigator.hardwareConcurrency / 2 wasm threads). */
  hardwareConcurrency?: number;
}

export const { launchChromium, CHROMIUM_ARGS } = require('../../apps/docs/scripts/chromium.cjs') as {
  launchChromium: (o?: LaunchChromiumOptions) => Promise<LaunchedChromium>;
  CHROMIUM_ARGS: readonly string[];
};
