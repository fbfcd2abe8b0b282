import * as fs from 'node:fs';
import * as path from 'node:path';
import { openHubModel, readSafetensors } from '@titok/io';
import type { ProgressInfo } from '@titok/io';
import { diskCache } from '@titok/io/node';
import { FIXTURES } from '../helpers/fixtures.js';
import { sha256Hex, startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { filesUnder, tempDir } from './helpers/temp.js';

const PIXEL = path.join(FIXTURES, 'titok_tiny_vq_pixel');
const REPO = 'titok-test/tiny-vq-pixel';
let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({
    [REPO]: { dir: PIXEL, files: ['config.json', 'model.safetensors'] },
    'titok-test/bin-only': { dir: path.join(FIXTURES, 'generator_tiny_bert'), files: ['config.json', 'pytorch_model.bin'] },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

async function tensorsEqual(a: Awaited<ReturnType<typeof readSafetensors>>, b: Awaited<ReturnType<typeof readSafetensors>>) {
  expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()]);
  for (const [k, t] of a.tensors) {
    expect(Buffer.from(await t.read()).equals(Buffer.from(await b.tensors.get(k)!.read()))).toBe(true);
  }
}

describe('loading a model from a hub by repo id', () => {
  test('downloads, caches, then reloads offline with zero requests', async () => {
    const dir = tempDir();
    const events: ProgressInfo[] = [];
    const env = { TITOK_CACHE: dir, TITOK_HUB_ENDPOINT: server.endpoint };
    const files = await openHubModel(REPO, { env, progress_callback: (e) => events.push(e) });
    expect(files.repo).toBe(REPO);
    expect(files.revision).toBe('main');
    expect(files.weightsFile).toBe('model.safetensors');
    expect(files.format).toBe('safetensors');
    expect(files.configJson).toEqual(JSON.parse(fs.readFileSync(path.join(PIXEL, 'config.json'), 'utf8')));
    // the weights are read from the cached file, not from memory
    const cached = path.join(dir, 'hub', 'titok-test--tiny-vq-pixel', 'main', 'model.safetensors');
    expect(files.weights.name).toBe(cached);
    expect(sha256Hex(fs.readFileSync(cached))).toBe(sha256Hex(fs.readFileSync(path.join(PIXEL, 'model.safetensors'))));
    const sd = await readSafetensors(files.weights);
    const ref = await readSafetensors(fs.readFileSync(path.join(PIXEL, 'model.safetensors')));
    await tensorsEqual(sd, ref);
    await sd.close();

    // the hub redirected the weights to the CDN (another origin), which served them
    const paths = server.requests.map((r) => `${r.server} ${r.method} ${r.path}`);
    expect(paths).toEqual([
      `hub GET /${REPO}/resolve/main/config.json`,
      `hub GET /${REPO}/resolve/main/model.safetensors`,
      `cdn GET /blobs/${sha256Hex(fs.readFileSync(path.join(PIXEL, 'model.safetensors')))}`,
    ]);
    const meta = files.entries.map((e) => e.meta);
    expect(meta[1]!.verifiedBy).toBe('server');
    expect(meta[1]!.commit).toMatch(/^c0ffee/);
    expect(meta[0]!.verifiedBy).toBe('none'); // config.json: the hub's ETag is a git sha1, not a sha256

    const statuses = events.map((e) => `${e.status}${'file' in e ? ` ${e.file}` : ''}`);
    expect(statuses.slice(0, 3)).toEqual(['initiate config.json', 'download config.json', 'progress config.json']);
    expect(statuses).toContain('done model.safetensors');
    expect(statuses[statuses.length - 1]).toBe('ready');
    const last = events.filter((e) => e.status === 'progress' && e.file === 'model.safetensors').pop()!;
    expect(last).toMatchObject({ loaded: 422064, total: 422064, progress: 100, name: REPO });

    // offline: zero requests, same bytes
    server.requests.length = 0;
    const again = await openHubModel(REPO, { env: { ...env, TITOK_OFFLINE: '1' } });
    expect(server.requests).toHaveLength(0);
    expect(again.weights.name).toBe(cached);
    await again.weights.close();
    // online with a warm cache: no request either
    const warm = await openHubModel(REPO, { env });
    expect(server.requests).toHaveLength(0);
    await warm.weights.close();
    await files.weights.close();

    expect(filesUnder(dir)).toEqual([
      'hub/titok-test--tiny-vq-pixel/main/.titok/config.json.json',
      'hub/titok-test--tiny-vq-pixel/main/.titok/model.safetensors.json',
      'hub/titok-test--tiny-vq-pixel/main/config.json',
      'hub/titok-test--tiny-vq-pixel/main/model.safetensors',
    ]);
    const list = await diskCache({ dir }).list();
    expect(list.map((m) => [m.repo, m.file, m.size])).toEqual([
      [REPO, 'config.json', 1129],
      [REPO, 'model.safetensors', 422064],
    ]);
  });

  test('offline mode with an empty cache fails without a request and says why', async () => {
    const dir = tempDir();
    await expect(openHubModel(REPO, { endpoint: server.endpoint, cacheDir: dir, offline: true })).rejects.toThrow(
      /offline mode .*titok-test\/tiny-vq-pixel\/config.json is not in the cache/,
    );
    expect(server.requests).toHaveLength(0);
  });

  test('a revision can be named in the option or after @', async () => {
    const dir = tempDir();
    const commit = 'c0ffee'.padEnd(40, '0');
    const a = await openHubModel(`${REPO}@${commit}`, { endpoint: server.endpoint, cacheDir: dir });
    expect(a.revision).toBe(commit);
    expect(server.requests[0]!.path).toBe(`/${REPO}/resolve/${commit}/config.json`);
    await a.weights.close();
    await expect(openHubModel(REPO, { endpoint: server.endpoint, cacheDir: dir, revision: 'v9' })).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining(`revision 'v9' does not exist in ${REPO}`),
    });
  });

  test('falls back to pytorch_model.bin when the repo has no model.safetensors', async () => {
    const dir = tempDir();
    const files = await openHubModel('titok-test/bin-only', { endpoint: server.endpoint, cacheDir: dir });
    expect(files.weightsFile).toBe('pytorch_model.bin');
    expect(files.format).toBe('torch');
    expect(files.weights.size).toBe(322342);
    await files.weights.close();
  });

  test('dtype fp16 converts once, caches the copy beside the original, and matches PyTorch', async () => {
    const dir = tempDir();
    const files = await openHubModel(REPO, { endpoint: server.endpoint, cacheDir: dir, dtype: 'fp16' });
    expect(files.weightsFile).toBe('model.fp16.safetensors');
    expect(files.weights.name).toBe(path.join(dir, 'hub', 'titok-test--tiny-vq-pixel', 'main', 'model.fp16.safetensors'));
    const sd = await readSafetensors(files.weights);
    const ref = await readSafetensors(fs.readFileSync(path.join(PIXEL, 'model.fp16.safetensors')));
    for (const t of sd.tensors.values()) expect(t.dtype).toBe(ref.tensors.get(t.name)!.dtype);
    await tensorsEqual(sd, ref); // round to nearest even, bit for bit
    await sd.close();
    server.requests.length = 0;
    const again = await openHubModel(REPO, { endpoint: server.endpoint, cacheDir: dir, dtype: 'fp16', offline: true });
    expect(again.weights.name).toBe(files.weights.name);
    expect(server.requests).toHaveLength(0);
    await again.weights.close();
  });
});
