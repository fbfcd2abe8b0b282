#!/usr/bin/env node
// Launcher kept outside dist/ so that npm can link the `titok` bin before the first build.
// It also tells the CLI where its package is (the bundled default model is in models/).
import { fileURLToPath } from 'node:url';
process.env.TITOK_CLI_ROOT ??= fileURLToPath(new URL('..', import.meta.url));
import('../dist/bin.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/bin.js')) {
    process.stderr.write('titok: the CLI is not built yet: run `npm run build` at the repository root\n');
    process.exitCode = 2;
  } else {
    throw e;
  }
});
