import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { main } from '@titok/cli';
import { FIXTURES } from '../helpers/fixtures.js';
import { startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { filesUnder, tempDir } from './helpers/temp.js';

const REPO = 'titok-test/tiny-vq-pixel';
let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({
    [REPO]: { dir: path.join(FIXTURES, 'titok_tiny_vq_pixel'), files: ['config.json', 'model.safetensors'] },
    'titok-test/tiny-bert': { dir: path.join(FIXTURES, 'generator_tiny_bert'), files: ['config.json', 'model.safetensors'] },
  });
});
afterAll(() => server.close());

function sink(isTTY: boolean) {
  let text = '';
  const s = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number; text(): string };
  s.isTTY = isTTY;
  s.columns = 120;
  s.text = () => text;
  return s;
}

async function titok(argv: string[], dir: string, opts: { tty?: boolean; answer?: string } = {}) {
  const stdout = sink(false);
  const stderr = sink(!!opts.tty);
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = !!opts.tty;
  if (opts.answer !== undefined) setTimeout(() => stdin.write(`${opts.answer}\n`), 20);
  const env = { TITOK_CACHE: dir, TITOK_HUB_ENDPOINT: server.endpoint };
  const code = await main(argv, { stdout, stderr, env, cwd: dir, stdin } as Parameters<typeof main>[1]);
  return { code, out: stdout.text(), err: stderr.text() };
}

describe('titok cache', () => {
  test('fetch draws progress bars on a TTY, ls lists, rm asks, clear needs --yes off a TTY', async () => {
    const dir = tempDir();
    server.throttle = 400_000;
    const f = await titok(['cache', 'fetch', REPO], dir, { tty: true });
    server.throttle = 0;
    expect(f.code).toBe(0);
    expect(f.out.trim().split('\n')).toEqual([
      path.join(dir, 'hub/titok-test--tiny-vq-pixel/main/config.json'),
      path.join(dir, 'hub/titok-test--tiny-vq-pixel/main/model.safetensors'),
    ]);
    expect(f.err).toMatch(/downloading model\.safetensors \[[#.]+\] [\d.]+ KB\/412 KB [\d.]+ KB\/s ETA \d+:\d\d/);

    expect((await titok(['cache', 'fetch', 'titok-test/tiny-bert'], dir)).code).toBe(0);
    const ls = await titok(['cache', 'ls'], dir);
    expect(ls.code).toBe(0);
    const lines = ls.out.trim().split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+REVISION\s+FILE\s+SIZE\s+CHECKED\s+PATH$/);
    expect(lines.slice(1, 5).map((l) => l.split(/\s{2,}/).slice(0, 5))).toEqual([
      ['titok-test/tiny-bert', 'main', 'config.json', '1.6 KB', 'none'],
      ['titok-test/tiny-bert', 'main', 'model.safetensors', '304.1 KB', 'sha256 (server)'],
      [REPO, 'main', 'config.json', '1.1 KB', 'none'],
      [REPO, 'main', 'model.safetensors', '412.2 KB', 'sha256 (server)'],
    ]);
    expect(lines[5]).toBe(`4 files, 719.1 KB in ${dir}`);
    const json = JSON.parse((await titok(['cache', 'ls', '--json'], dir)).out);
    expect(json).toHaveLength(4);

    // rm off a terminal without --yes refuses; on a terminal it asks
    const refused = await titok(['cache', 'rm', 'titok-test/tiny-bert'], dir);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^titok: error: remove 2 files \(305\.8 KB\) of titok-test\/tiny-bert from .*: refusing without confirmation \(not a terminal\); add --yes\n$/);
    const no = await titok(['cache', 'rm', 'titok-test/tiny-bert'], dir, { tty: true, answer: 'n' });
    expect(no.code).toBe(1);
    expect(no.err).toContain('[y/N] nothing removed');
    expect(filesUnder(dir)).toHaveLength(8);
    const yes = await titok(['cache', 'rm', 'titok-test/tiny-bert'], dir, { tty: true, answer: 'y' });
    expect(yes).toMatchObject({ code: 0, out: 'removed 2 files (305.8 KB)\n' });
    expect(filesUnder(dir).some((f) => f.includes('tiny-bert'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'hub/titok-test--tiny-bert'))).toBe(false);

    const missing = await titok(['cache', 'rm', 'titok-test/nothing', '--yes'], dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("nothing in the cache");

    // clear: refuses off a TTY, then --yes removes everything but what is not ours
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    expect((await titok(['cache', 'clear'], dir)).code).toBe(2);
    expect(filesUnder(dir)).toHaveLength(5);
    const cleared = await titok(['cache', 'clear', '--yes'], dir);
    expect(cleared.code).toBe(0);
    expect(filesUnder(dir)).toEqual(['notes.txt']);
    expect((await titok(['cache', 'ls'], dir)).out).toBe(`the cache is empty (${dir})\n`);
  });

  test('offline fetch of an uncached model fails in one line, exit 2', async () => {
    const dir = tempDir();
    const stdout = sink(false);
    const stderr = sink(false);
    const code = await main(['cache', 'fetch', REPO], {
      stdout,
      stderr,
      cwd: dir,
      env: { TITOK_CACHE: dir, TITOK_HUB_ENDPOINT: server.endpoint, TITOK_OFFLINE: '1' },
    });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/^titok: error: offline mode .* is not in the cache .*\n$/);
  });
});
