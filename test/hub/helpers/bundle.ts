import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** Workspace packages resolve to their TypeScript sources, as in jest. */
const ALIASES: Record<string, string> = Object.fromEntries(
  ['core', 'io', 'tokenizer', 'generator'].map((p) => [`@titok/${p}`, path.join(ROOT, 'packages', p, 'src', 'index.ts')]),
);

/**
 * Bundles `entry` (TypeScript) with esbuild (installed with vite) into `outdir`: for Node as one
 * CommonJS file, for browsers as ES modules with code splitting, so the lazily imported disk
 * cache (`node:*`) stays in a chunk a browser never loads.
 */
export async function bundle(entry: string, outdir: string, platform: 'node' | 'browser'): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  await esbuild.build({
    entryPoints: { main: entry },
    outdir,
    bundle: true,
    platform,
    format: platform === 'node' ? 'cjs' : 'esm',
    splitting: platform === 'browser',
    target: platform === 'node' ? 'node20' : 'chrome120',
    alias: { ...ALIASES, '@titok/io/node': path.join(ROOT, 'packages/io/src/node.ts') },
    // Node-only modules sit behind dynamic imports that a browser never takes
    external: platform === 'browser' ? ['node:*', 'module', 'webgpu'] : [],
    logLevel: 'error',
    sourcemap: false,
  });
  return path.join(outdir, platform === 'node' ? 'main.js' : 'main.js');
}
