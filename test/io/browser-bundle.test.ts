/**
 * @titok/io in a browser bundle: a bundler following package.json's `browser` field builds the
 * published entry (dist) without any `node:` module, so users need no externals or polyfills.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe('@titok/io bundled for browsers', () => {
  it('builds from dist with no node: module and keeps the public API', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-io-bundle-'));
    try {
      const entry = path.join(dir, 'entry.mjs');
      fs.writeFileSync(entry, "import * as io from '@titok/io';\nexport const names = Object.keys(io);\n");
      const result = await esbuild.build({
        entryPoints: [entry],
        outfile: path.join(dir, 'out.mjs'),
        bundle: true,
        platform: 'browser',
        format: 'esm',
        target: 'chrome120',
        nodePaths: [path.join(ROOT, 'node_modules')],
        // core and tfjs have browser builds of their own; this test is about io's graph
        external: ['@titok/core', '@tensorflow/*'],
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile!.inputs);
      expect(inputs.some((f) => f.includes('packages/io/dist/index.js'))).toBe(true);
      expect(inputs.filter((f) => !f.startsWith('(disabled)') && /node-files\.js$|disk-cache|disk-paths|file-lock|source\/node\.js/.test(f))).toEqual([]);
      const out = fs.readFileSync(path.join(dir, 'out.mjs'), 'utf8');
      expect(out.match(/["']node:[a-z/_]+["']/g) ?? []).toEqual([]);
      expect(out).toContain('openModelSource');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
