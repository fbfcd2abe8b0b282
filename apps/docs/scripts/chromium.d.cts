// Types of chromium.cjs, for the TypeScript tests that launch Chromium (docs, test/).
import type { BrowserContext, LaunchOptions } from 'playwright-core';

export declare const CHROMIUM: string;
export declare const CHROMIUM_ARGS: readonly string[];

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
  viewport?: { width: number; height: number };
}

export declare function launchChromium(options?: LaunchChromiumOptions): Promise<LaunchedChromium>;
