import * as fs from 'node:fs';
import * as path from 'node:path';
import { openModelSource } from '@titok/io';
import type { ProgressInfo } from '@titok/io';
import { FIXTURES } from '../helpers/fixtures.js';
import { startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { filesUnder, tempDir } from './helpers/temp.js';

const PIXEL = path.join(FIXTURES, 'titok_tiny_vq_pixel');
const LEGACY = path.join(FIXTURES, 'titok_tiny_vq_legacy');
const REPO = 'titok-test/tiny-vq-pixel';
let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({
    [REPO]: { dir: PIXEL, files: ['config.json', 'model.safetensors'] },
    // a released model's repo id, serving the tiny legacy fixture
    'yucornetto/tokenizer_titok_l32_imagenet': { dir: LEGACY, files: ['config.json', 'model.safetensors'] },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

describe('openModelSource takes hub names and caches URLs', () => {
  test('a repo id: downloaded into the cache, read lazily from it, then offline', async () => {
    const dir = tempDir();
    const events: string[] = [];
    const src = await openModelSource(REPO, {
      endpoint: server.endpoint,
      cacheDir: dir,
      progress_callback: (e: ProgressInfo) => events.push(e.status),
    });
    expect(src.config?.tokenizer?.numLatentTokens).toBe(8);
    expect(src.weightsFile).toBe(path.join(dir, 'hub/titok-test--tiny-vq-pixel/main/model.safetensors'));
    expect(src.stateDict.format).toBe('safetensors');
    expect(src.configFile).toBe(`${server.endpoint}/${REPO}/resolve/main/config.json`);
    expect(events).toEqual(expect.arrayContaining(['initiate', 'download', 'progress', 'done', 'ready']));
    await src.close();
    server.requests.length = 0;
    const again = await openModelSource(REPO, { endpoint: server.endpoint, env: { TITOK_CACHE: dir, TITOK_OFFLINE: '1' } });
    expect(server.requests).toHaveLength(0);
    expect(again.stateDict.tensors.size).toBe(src.stateDict.tensors.size);
    await again.close();
  });

  test("a released model's short name resolves to its hub repo", async () => {
    const dir = tempDir();
    const src = await openModelSource('titok-l32', { endpoint: server.endpoint, cacheDir: dir });
    expect(src.preset?.name).toBe('titok_l32');
    expect(src.configJson).toEqual(JSON.parse(fs.readFileSync(path.join(LEGACY, 'config.json'), 'utf8')));
    expect(server.requests[0]!.path).toBe('/yucornetto/tokenizer_titok_l32_imagenet/resolve/main/config.json');
    await src.close();
  });

  test('a local folder with the same name as a repo id wins over the hub', async () => {
    const cwd = tempDir();
    const local = path.join(cwd, 'titok-test', 'tiny-vq-pixel');
    fs.mkdirSync(local, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(PIXEL, f), path.join(local, f));
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      const src = await openModelSource(REPO, { endpoint: server.endpoint, cacheDir: tempDir() });
      expect(src.weightsFile).toBe(path.join(local, 'model.safetensors'));
      await src.close();
    } finally {
      process.chdir(prev);
    }
    expect(server.requests).toHaveLength(0);
  });

  test('Node: a URL is read in place unless a cache is asked for; once cached, no request', async () => {
    const dir = tempDir();
    const url = `${server.endpoint}/${REPO}/resolve/main/`;
    const env = { TITOK_CACHE: dir };
    const inPlace = await openModelSource(url, { env });
    expect(inPlace.weightsFile).toBe(`${url}model.safetensors`);
    await inPlace.close();
    expect(filesUnder(dir)).toEqual([]);

    const cached = await openModelSource(url, { env, cacheDir: dir });
    expect(cached.weightsFile).toMatch(new RegExp(`^${dir}/url/127\\.0\\.0\\.1_\\d+/[0-9a-f]{16}/model\\.safetensors$`));
    expect(cached.configJson).toEqual(JSON.parse(fs.readFileSync(path.join(PIXEL, 'config.json'), 'utf8')));
    await cached.close();

    const half = await openModelSource(url, { env, cacheDir: dir, dtype: 'fp16' });
    expect(half.weightsFile).toBe(path.join(path.dirname(cached.weightsFile), 'model.fp16.safetensors'));
    await half.close();

    server.requests.length = 0;
    const hit = await openModelSource(url, { env }); // no cache option: the cached copy is still used
    expect(hit.weightsFile).toBe(cached.weightsFile);
    expect(server.requests).toHaveLength(0);
    await hit.close();

    const offline = await openModelSource(`${url}model.safetensors`, { env: { ...env, TITOK_OFFLINE: '1' } });
    expect(server.requests).toHaveLength(0);
    await offline.close();
    await expect(openModelSource(`${server.endpoint}/other/x/resolve/main/model.safetensors`, { env: { ...env, TITOK_OFFLINE: '1' } })).rejects.toThrow(
      /^offline mode .* is not in the cache/,
    );
    expect(server.requests).toHaveLength(0);
  });

  test('dtype fp16 through openModelSource loads the float16 copy', async () => {
    const dir = tempDir();
    const src = await openModelSource(REPO, { endpoint: server.endpoint, cacheDir: dir, dtype: 'fp16' });
    expect(src.weightsFile).toBe(path.join(dir, 'hub/titok-test--tiny-vq-pixel/main/model.fp16.safetensors'));
    const dtypes = new Set([...src.stateDict.tensors.values()].map((t) => t.dtype));
    expect(dtypes).toEqual(new Set(['F16']));
    await src.close();
  });
});
