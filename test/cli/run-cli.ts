/**
 * Runs the built `titok` CLI in a child process, as a user would (`node packages/cli/bin/titok.js`),
 * and writes fixture images as PNG files. Build first: `npx turbo run build --filter=@titok/cli...`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { ExpectedTensor } from '../helpers/fixtures.js';

export const REPO = path.resolve(__dirname, '../..');
export const TITOK_BIN = path.join(REPO, 'packages/cli/bin/titok.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails with a clear message when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!fs.existsSync(path.join(REPO, 'packages/cli/dist/bin.js'))) {
    throw new Error('the CLI is not built: run `npx turbo run build --filter=@titok/cli...` first');
  }
}

/** Runs `titok <args>`; TITOK_BACKEND and TITOK_DEBUG are cleared unless `env` sets them. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TITOK_BACKEND;
  delete env.TITOK_DEBUG;
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TITOK_BIN, ...args], { cwd: options.cwd ?? REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Dawn's own stderr notes about Vulkan drivers it rejects (native code; not titok's output). */
export function titokLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !/^(Warning: |error: XDG_RUNTIME_DIR| - While |\s+at \S+ \(\/home\/runner\/work\/node-webgpu)/.test(l));
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `titok-cli-${prefix}-`));
}

/**
 * Writes batch element n of a fixture's NCHW `inputs.images` (values k/255) as an 8-bit PNG.
 * The values are exact multiples of 1/255, so the PNG round trip is lossless.
 */
export async function writeFixtureImage(images: ExpectedTensor, n: number, file: string): Promise<void> {
  const [, c, h, w] = images.shape as [number, number, number, number];
  const out = Buffer.alloc(h * w * 3);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < h * w; i++) {
      const v = images.data[(n * c + ch) * h * w + i]! * 255;
      if (Math.abs(v - Math.round(v)) > 1e-3) throw new Error(`inputs.images is not k/255 at ${i}: ${v}`);
      out[i * 3 + ch] = Math.round(v);
    }
  }
  await sharp(out, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

/** Reads a PNG as 8-bit RGB. */
export async function readRgb(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
