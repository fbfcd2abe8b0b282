#!/usr/bin/env node
/**
 * Prepares the playground's static assets in `public/` before `vitepress build` (they are
 * generated, not committed; see apps/docs/.gitignore):
 *
 *   public/wasm/*.wasm                       tfjs' WASM binaries, so the site serves them itself
 *   public/models/<id>/tokenizer/            each bundled model converted to the tfjs format
 *   public/models/<id>/generator/            (model.json + shards + config.json) with @titok/io
 *   public/samples/<id>/<image>              the bundled model's sample images
 *
 * The bundled models are listed in playground/bundled-models.json; "default" names the one
 * the playground opens with.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { openModelSource } from '@titok/io';
import { writeTfjsFolder } from '@titok/io/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const docs = path.resolve(here, '..');
const repo = path.resolve(docs, '../..');
const pub = path.join(docs, 'public');
const require = createRequire(import.meta.url);

/** Copies tfjs' three WASM binaries next to the site. */
function copyWasm() {
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const out = path.join(pub, 'wasm');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const files = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm'));
  if (files.length !== 3) throw new Error(`${dist}: expected the three tfjs .wasm binaries, found ${files.join(', ') || 'none'}`);
  for (const f of files) fs.copyFileSync(path.join(dist, f), path.join(out, f));
  return files;
}

/** Converts one fixture model folder (config.json + model.safetensors) to a tfjs folder. */
async function convert(from, to) {
  const src = await openModelSource(path.join(repo, from));
  try {
    const written = await writeTfjsFolder(src.stateDict, to, {
      force: true,
      dtype: 'float32',
      configJson: src.configJson,
      convertedBy: '@titok/docs prepare-assets',
    });
    return written.bytes;
  } finally {
    await src.close();
  }
}

async function main() {
  const started = Date.now();
  const manifest = JSON.parse(fs.readFileSync(path.join(docs, 'playground/bundled-models.json'), 'utf8'));
  if (!manifest.models.some((m) => m.id === manifest.default)) {
    throw new Error(`bundled-models.json: default '${manifest.default}' is not one of ${manifest.models.map((m) => m.id).join(', ')}`);
  }
  const wasm = copyWasm();
  fs.rmSync(path.join(pub, 'models'), { recursive: true, force: true });
  fs.rmSync(path.join(pub, 'samples'), { recursive: true, force: true });
  let bytes = 0;
  for (const m of manifest.models) {
    for (const part of ['tokenizer', 'generator']) {
      if (m[part]) bytes += await convert(m[part], path.join(pub, 'models', m.id, part));
    }
    const samples = path.join(pub, 'samples', m.id);
    fs.mkdirSync(samples, { recursive: true });
    for (const s of m.samples ?? []) fs.copyFileSync(path.join(repo, s), path.join(samples, path.basename(s)));
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`prepare-assets: ${wasm.length} wasm binaries, ${manifest.models.length} bundled model(s) (${(bytes / 1e6).toFixed(2)} MB) in ${secs} s\n`);
}

main().catch((e) => {
  process.stderr.write(`prepare-assets: ${e?.message ?? e}\n`);
  process.exit(1);
});
