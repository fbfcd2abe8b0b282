import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';
import { apiSidebar } from './api-sidebar';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What the threaded WASM build needs (SharedArrayBuffer): a cross-origin-isolated page. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const guide = [
  { text: 'Getting started', link: '/guide/getting-started' },
  { text: 'Choosing a backend', link: '/guide/backends' },
  { text: 'Converting and hosting checkpoints', link: '/guide/converting' },
  { text: 'Loading models by name', link: '/guide/loading-by-name' },
  { text: 'Generation', link: '/guide/generation' },
  { text: 'Model zoo', link: '/guide/model-zoo' },
  { text: 'Performance', link: '/guide/performance' },
  { text: 'The titok CLI', link: '/guide/cli' },
  { text: 'Training in JavaScript', link: '/guide/training' },
];

export default defineConfig({
  title: 'titok-js',
  description: 'TiTok, the 1D image tokenizer of "An Image is Worth 32 Tokens", for JavaScript: browsers and Node, on TensorFlow.js.',
  cleanUrls: true,
  lastUpdated: false,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  srcExclude: ['tests/**', 'playground/**', 'scripts/**', 'README.md'],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Playground', link: '/playground' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/guide/': [{ text: 'Guide', items: guide }],
      '/api/': [{ text: 'API reference', items: apiSidebar(root) }],
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
    footer: { message: 'Apache-2.0. TiTok is by Yu et al. (ByteDance); titok-js is an independent port.' },
  },
  vite: {
    // The worker bundles @titok/*: its Node-only code (disk cache, Dawn) sits behind dynamic
    // imports that a browser never takes; `node:*` stays external so those chunks still build.
    worker: { format: 'es', rollupOptions: { external: [/^node:/] } },
    build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
    // `server.headers` does not reach the pages VitePress renders in dev: set them on every response
    plugins: [
      {
        name: 'titok-cross-origin-isolation',
        configureServer(server) {
          server.middlewares.use((_req, res, next) => {
            for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
            next();
          });
        },
      },
    ],
    preview: { headers: ISOLATION_HEADERS },
  },
});
