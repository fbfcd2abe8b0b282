import * as path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '@titok/cli';
import { FIXTURES, loadExpected } from '../helpers/fixtures.js';
import { startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { filesUnder, tempDir } from './helpers/temp.js';

const REPO = 'titok-test/tiny-vq-pixel';
const IMAGES = ['chelsea', 'coffee'].map((n) => path.join(FIXTURES, 'images', `${n}_256.png`));
let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({ [REPO]: { dir: path.join(FIXTURES, 'titok_tiny_vq_pixel'), files: ['config.json', 'model.safetensors'] } });
});
afterAll(() => server.close());

function sink() {
  let text = '';
  const s = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { text(): string };
  s.text = () => text;
  return s;
}

/** Runs `titok` in this process with the hub settings in process.env (the CLI passes process.env on). */
async function titok(argv: string[], env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const stdout = sink();
  const stderr = sink();
  try {
    const code = await main(argv, { stdout, stderr, env: process.env, cwd: tempDir() });
    return { code, out: stdout.text(), err: stderr.text() };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('CLI --model takes hub names', () => {
  test('titok encode --model <repo id>: downloads once, encodes like the reference, then works offline', async () => {
    const expected = await loadExpected('titok_tiny_vq_pixel');
    const ids = Array.from(expected.get('quantize.indices')!.data);
    const dir = tempDir();
    const env = { TITOK_CACHE: dir, TITOK_HUB_ENDPOINT: server.endpoint };
    const first = await titok(['encode', ...IMAGES, '--model', REPO, '--backend', 'cpu'], env);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toBe(`${IMAGES[0]}: ${ids.slice(0, 8).join(' ')}\n${IMAGES[1]}: ${ids.slice(8, 16).join(' ')}\n`);
    expect(server.requests.filter((r) => r.server === 'cdn')).toHaveLength(1);
    expect(filesUnder(dir)).toContain('hub/titok-test--tiny-vq-pixel/main/model.safetensors');

    server.requests.length = 0;
    const again = await titok(['encode', IMAGES[0]!, '--model', REPO, '--backend', 'cpu'], { ...env, TITOK_OFFLINE: '1' });
    expect(again.code).toBe(0);
    expect(again.out).toBe(`${IMAGES[0]}: ${ids.slice(0, 8).join(' ')}\n`);
    expect(server.requests).toHaveLength(0);
  });

  test('a missing repo is one line on stderr, exit 2', async () => {
    const r = await titok(['encode', IMAGES[0]!, '--model', 'titok-test/missing', '--backend', 'cpu'], {
      TITOK_CACHE: tempDir(),
      TITOK_HUB_ENDPOINT: server.endpoint,
    });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^titok: error: 404 Not Found: repository titok-test\/missing does not exist on http:\/\/127\.0\.0\.1:\d+ .*HF_TOKEN.*\n$/);
  });
});
