import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fetchHubFile } from '@titok/io';
import { FIXTURES } from '../helpers/fixtures.js';
import { bundle } from './helpers/bundle.js';
import { sha256Hex, startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { filesUnder, tempDir } from './helpers/temp.js';

const PIXEL = path.join(FIXTURES, 'titok_tiny_vq_pixel');
const SHA = sha256Hex(fs.readFileSync(path.join(PIXEL, 'model.safetensors')));
const REPO = 'titok-test/tiny-vq-pixel';
const SNAPSHOT = 'hub/titok-test--tiny-vq-pixel/main';
let server: HubServer;
let child: string;

beforeAll(async () => {
  server = await startHubServer({ [REPO]: { dir: PIXEL, files: ['config.json', 'model.safetensors'] } });
  child = await bundle(path.join(__dirname, 'helpers/download-child.ts'), tempDir('titok-child-'), 'node');
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.throttle = 0;
});

function run(dir: string): { proc: ChildProcess; done: Promise<{ code: number | null; out: string; err: string }> } {
  const proc = spawn(process.execPath, [child, server.endpoint, dir, REPO, 'model.safetensors'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => proc.on('close', (code) => resolve({ code, out, err })));
  return { proc, done };
}

async function waitFor(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two processes, one cache', () => {
  test('downloading the same file concurrently ends with one valid entry and one download', async () => {
    const dir = tempDir();
    server.throttle = 300_000; // ~1.4 s for the file, so the two runs overlap
    const a = run(dir);
    const b = run(dir);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, ra.err, rb.code, rb.err]).toEqual([0, '', 0, '']);
    const [ja, jb] = [JSON.parse(ra.out), JSON.parse(rb.out)];
    expect(ja.sha256).toBe(SHA);
    expect(jb.sha256).toBe(SHA);
    expect(ja.path).toBe(jb.path);
    expect(sha256Hex(fs.readFileSync(ja.path))).toBe(SHA);
    expect(server.requests.filter((r) => r.server === 'cdn')).toHaveLength(1);
    expect(filesUnder(dir)).toEqual([`${SNAPSHOT}/.titok/model.safetensors.json`, `${SNAPSHOT}/model.safetensors`]);
  });

  test('a process killed mid-download leaves a lock and a partial file; the next one takes over and resumes', async () => {
    const dir = tempDir();
    server.throttle = 150_000;
    const partial = path.join(dir, SNAPSHOT, '.titok/model.safetensors.incomplete');
    const a = run(dir);
    await waitFor(() => fs.existsSync(partial) && fs.statSync(partial).size > 50_000);
    a.proc.kill('SIGKILL');
    await a.done;
    const kept = fs.statSync(partial).size;
    expect(fs.existsSync(path.join(dir, SNAPSHOT, '.titok/model.safetensors.lock'))).toBe(true);
    server.throttle = 0;
    server.requests.length = 0;
    const b = await run(dir).done;
    expect([b.code, b.err]).toEqual([0, '']);
    expect(JSON.parse(b.out).sha256).toBe(SHA);
    expect(server.requests.filter((r) => r.server === 'cdn').map((r) => r.range)).toStrictEqual([`bytes=${kept}-`]);
    expect(filesUnder(dir)).toEqual([`${SNAPSHOT}/.titok/model.safetensors.json`, `${SNAPSHOT}/model.safetensors`]);
  });

  test('a lock left by another host is taken over once it is older than the stale limit', async () => {
    const dir = tempDir();
    const lock = path.join(dir, SNAPSHOT, '.titok/model.safetensors.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, JSON.stringify({ pid: 1, host: `not-${os.hostname()}`, token: 'x' }));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    const entry = await fetchHubFile(REPO, 'model.safetensors', { endpoint: server.endpoint, cacheDir: dir, env: {} });
    expect(entry.meta.sha256).toBe(SHA);
    expect(fs.existsSync(lock)).toBe(false);
  });

  test('a fresh lock of a live process is waited for, with progress from its partial file', async () => {
    const dir = tempDir();
    server.throttle = 300_000;
    const a = run(dir);
    const partial = path.join(dir, SNAPSHOT, '.titok/model.safetensors.incomplete');
    await waitFor(() => fs.existsSync(partial));
    const seen: number[] = [];
    const entry = await fetchHubFile(REPO, 'model.safetensors', {
      endpoint: server.endpoint,
      cacheDir: dir,
      env: {},
      progress_callback: (e) => e.status === 'progress' && seen.push(e.loaded),
    });
    expect((await a.done).code).toBe(0);
    expect(entry.meta.sha256).toBe(SHA);
    expect(seen.some((n) => n > 0)).toBe(true);
    expect(server.requests.filter((r) => r.server === 'cdn')).toHaveLength(1);
  });
});
