/** Spawns the built `titok` CLI (`node packages/cli/bin/titok.js`), as a user would. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');
export const TITOK = path.join(REPO, 'packages/cli/bin/titok.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Fails clearly when the CLI has not been built (`npx turbo run build --filter=@titok/cli...`). */
export function requireBuiltCli(): void {
  if (!fs.existsSync(path.join(REPO, 'packages/cli/dist/bin.js'))) {
    throw new Error('the CLI is not built: run `npx turbo run build --filter=@titok/cli...` first');
  }
}

export function titok(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  const env = { ...process.env };
  delete env.TITOK_DEBUG;
  const t = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TITOK, ...args], { cwd: options.cwd ?? REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t });
    });
  });
}
