// Lets a plain Node process (the fuzz worker) run the TypeScript sources, as jest does:
// SWC compiles .ts to CommonJS, `./x.js` imports resolve to `./x.ts`, `@titok/<pkg>` to its src.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const ROOT = path.resolve(__dirname, '../..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  let req = request;
  const m = /^@titok\/(core|io|tokenizer|generator|cli)(?:\/(.*))?$/.exec(req);
  if (m) req = path.join(ROOT, 'packages', m[1], 'src', m[2] ? `${m[2]}.ts` : 'index.ts');
  else if (req.startsWith('.') && req.endsWith('.js') && parent?.filename) {
    const ts = path.resolve(path.dirname(parent.filename), `${req.slice(0, -3)}.ts`);
    if (fs.existsSync(ts)) req = ts;
  }
  return resolve.call(this, req, parent, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
