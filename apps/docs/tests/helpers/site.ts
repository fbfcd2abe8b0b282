/**
 * The built site (`npm run build -w @titok/docs`) served by scripts/static-server.cjs on
 * 127.0.0.1 with the cross-origin-isolation headers, and where test artifacts go.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DOCS = path.resolve(__dirname, '../..');
export const DIST = path.join(DOCS, '.vitepress/dist');
/** Screenshots: `artifacts/docs/` at the repository root (git-ignored). */
export const ARTIFACTS = path.resolve(DOCS, '../../artifacts/docs');

export interface Server {
  url: string;
  requests: Array<{ method: string; path: string; status: number; range?: string }>;
  close(): Promise<void>;
}

export async function serveSite(): Promise<Server> {
  if (!fs.existsSync(path.join(DIST, 'playground.html'))) {
    throw new Error(`${DIST}: the site is not built; run \`npm run build -w @titok/docs\` (turbo does it before the docs tests)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startStaticServer } = require('../../scripts/static-server.cjs') as { startStaticServer: (o: { root: string }) => Promise<Server> };
  return startStaticServer({ root: DIST });
}

export function artifact(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
