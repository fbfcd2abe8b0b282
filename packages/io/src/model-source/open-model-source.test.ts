import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ConfigError, InputError, NetworkError, UnsafePickleError } from '@titok/core';
import type { StateDict, StateDictTensor } from '@titok/core';
import { openModelSource } from './open-model-source.js';
import { writeTfjsFolder } from '../tfjs-weights/node-folder.js';
import type { ModelSourceResolver } from './types.js';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');
const PIXEL = path.join(FIXTURES, 'titok_tiny_vq_pixel');
const pixelConfig = () => JSON.parse(fs.readFileSync(path.join(PIXEL, 'config.json'), 'utf8'));

async function sameTensors(a: StateDict, b: StateDict): Promise<void> {
  expect([...a.tensors.keys()].sort()).toEqual([...b.tensors.keys()].sort());
  for (const [k, t] of a.tensors) {
    const [x, y] = [await t.read(), await b.tensors.get(k)!.read()];
    if (!Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))) throw new Error(`tensor ${k} differs`);
  }
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-model-source-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('openModelSource: local paths', () => {
  it('opens a folder: config.json + model.safetensors', async () => {
    const m = await openModelSource(PIXEL);
    expect(m.weightsFile).toBe(path.join(PIXEL, 'model.safetensors'));
    expect(m.configFile).toBe(path.join(PIXEL, 'config.json'));
    expect(m.config?.tokenizer?.numLatentTokens).toBe(8);
    expect(m.stateDict.format).toBe('safetensors');
    expect(m.preset).toBeUndefined();
    await m.close();
  });

  it('opens a checkpoint file with the config option (path or object)', async () => {
    const file = path.join(PIXEL, 'pytorch_model.bin');
    const a = await openModelSource(file, { config: path.join(PIXEL, 'config.json') });
    const b = await openModelSource(file, { config: pixelConfig() });
    expect(a.stateDict.format).toBe('torch-zip');
    expect(a.config?.tokenizer).toEqual(b.config?.tokenizer);
    await Promise.all([a.close(), b.close()]);
  });

  it('fails with a ConfigError saying what to pass when there is no config and no preset', async () => {
    const file = path.join(PIXEL, 'pytorch_model.bin');
    const err = await openModelSource(file).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/--config/);
    expect(err.message).toMatch(/'config' option/);
    const m = await openModelSource(file, { requireConfig: false });
    expect(m.config).toBeUndefined();
    await m.close();
  });

  it('reports a missing path, a folder without weights and one with several', async () => {
    await expect(openModelSource(path.join(tmp, 'nope'))).rejects.toThrow(InputError);
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    await expect(openModelSource(empty)).rejects.toThrow(/no weights in this folder/);
    const two = fs.mkdtempSync(path.join(tmp, 'two-'));
    fs.copyFileSync(path.join(FIXTURES, 'bad/valid_reference.safetensors'), path.join(two, 'a.safetensors'));
    fs.copyFileSync(path.join(FIXTURES, 'bad/valid_reference_torch.bin'), path.join(two, 'b.bin'));
    await expect(openModelSource(two)).rejects.toThrow(/several weights files \(a\.safetensors, b\.bin\)/);
  });

  it('passes reader errors through and closes the file', async () => {
    await expect(openModelSource(path.join(FIXTURES, 'bad/evil_stack_global.bin'), { requireConfig: false })).rejects.toThrow(UnsafePickleError);
  });

  it('loads a converted tfjs folder back with its config and the same tensors', async () => {
    const src = await openModelSource(path.join(FIXTURES, 'titok_tiny_vq_legacy/pytorch_model_legacy.bin'), {
      config: path.join(FIXTURES, 'titok_tiny_vq_legacy/config.json'),
    });
    const out = path.join(tmp, 'converted');
    await writeTfjsFolder(src.stateDict, out, { configJson: src.configJson, shardBytes: 100_000 });
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.bin')).length).toBe(15);
    const back = await openModelSource(out);
    expect(back.stateDict.format).toBe('tfjs');
    expect(back.weightsFile).toBe(path.join(out, 'model.json'));
    expect(back.config?.tokenizer).toEqual(src.config?.tokenizer);
    await sameTensors(src.stateDict, back.stateDict);
    // model.json alone carries the config too
    fs.rmSync(path.join(out, 'config.json'));
    const again = await openModelSource(path.join(out, 'model.json'));
    expect(again.config?.tokenizer).toEqual(src.config?.tokenizer);
    await Promise.all([src.close(), back.close(), again.close()]);
  });
});

describe('openModelSource: bytes, Blobs and resolvers', () => {
  it('opens an ArrayBuffer and a Blob', async () => {
    const bytes = fs.readFileSync(path.join(PIXEL, 'model.safetensors'));
    const a = await openModelSource(new Uint8Array(bytes).buffer, { config: pixelConfig(), name: 'model.safetensors' });
    const b = await openModelSource(new Blob([bytes]), { config: pixelConfig() });
    expect(a.weightsFile).toBe('model.safetensors');
    await sameTensors(a.stateDict, b.stateDict);
  });

  it('detects a released model when no config is given', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifests/titok_s128.json'), 'utf8'));
    const tensors = new Map<string, StateDictTensor>(
      manifest.keys.map((k: { name: string; shape: number[] }) => [k.name, { name: k.name, dtype: 'F32', shape: k.shape, byteLength: 0, read: async () => new Uint8Array(0) }]),
    );
    const fake: ModelSourceResolver = {
      name: 'fake',
      resolve: async (input) => (input === 'fake:s128' ? { weights: { format: 'safetensors', source: 'fake', tensors, metadata: {}, close: async () => {} }, weightsFile: 'fake' } : undefined),
    };
    const m = await openModelSource('fake:s128', { resolvers: [fake] });
    expect(m.preset?.name).toBe('titok_s128');
    expect(m.configFile).toBe('preset:titok_s128');
    expect(m.config?.tokenizer?.numLatentTokens).toBe(128);
    expect(m.configJson).toMatchObject({ model: { vq_model: { vit_enc_model_size: 'small', num_latent_tokens: 128 } } });
  });

  it('tries resolvers in order; the first answer wins', async () => {
    const calls: string[] = [];
    const r = (name: string, answer: boolean): ModelSourceResolver => ({
      name,
      resolve: async () => {
        calls.push(name);
        return answer ? { weights: new Uint8Array(fs.readFileSync(path.join(PIXEL, 'model.safetensors'))), weightsFile: name } as never : undefined;
      },
    });
    const { bytesResolver } = await import('./resolvers.js');
    const m = await openModelSource('x', { resolvers: [r('one', false), { name: 'two', resolve: async (i, o) => (i === 'x' ? bytesResolver.resolve(fs.readFileSync(path.join(PIXEL, 'model.safetensors')), o) : undefined) }, r('three', true)], requireConfig: false });
    expect(calls).toEqual(['one']);
    expect(m.stateDict.tensors.size).toBe(75);
  });
});

describe('openModelSource: URLs', () => {
  let server: http.Server;
  let base: string;
  const requests: { url: string; range?: string; sent?: number }[] = [];
  let ranges = true;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = decodeURIComponent(req.url!.split('?')[0]!);
      const entry: { url: string; range?: string; sent?: number } = { url, range: req.headers.range };
      requests.push(entry);
      const root = url.startsWith('/converted/') ? tmp : FIXTURES;
      const file = path.join(root, url.replace(/^\/converted\//, '/'));
      if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
        res.writeHead(404).end('not found');
        return;
      }
      const body = fs.readFileSync(file);
      const m = ranges && /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (m) {
        const [a, b] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
        entry.sent = b - a + 1;
        res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-length': b - a + 1 }).end(body.subarray(a, b + 1));
      } else {
        entry.sent = body.length;
        res.writeHead(200, { 'content-length': body.length }).end(body);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests.length = 0;
    ranges = true;
  });

  it('reads a safetensors URL range by range, with the config.json beside it', async () => {
    const m = await openModelSource(`${base}/titok_tiny_vq_pixel/model.safetensors`);
    expect(m.configFile).toBe(`${base}/titok_tiny_vq_pixel/config.json`);
    expect(m.config?.tokenizer?.numLatentTokens).toBe(8);
    const local = await openModelSource(PIXEL);
    await sameTensors(local.stateDict, m.stateDict);
    const weights = requests.filter((r) => r.url.endsWith('model.safetensors'));
    expect(weights.every((r) => r.range)).toBe(true);
    // a first range (format, header and the first tensors), then one range per later tensor; no byte twice
    const size = fs.statSync(path.join(PIXEL, 'model.safetensors')).size;
    expect(weights.length).toBeGreaterThan(10);
    const largest = Math.max(...[...m.stateDict.tensors.values()].map((t) => t.byteLength));
    expect(weights.reduce((s, r) => s + r.sent!, 0)).toBeLessThanOrEqual(size + largest);
  });

  it('downloads the whole file when the server ignores Range', async () => {
    ranges = false;
    const m = await openModelSource(`${base}/titok_tiny_vq_legacy/pytorch_model.bin`);
    expect(m.stateDict.format).toBe('torch-zip');
    expect(requests.filter((r) => r.url.endsWith('.bin')).length).toBe(1);
    expect(m.config?.tokenizer?.isLegacy).toBe(true);
  });

  it('opens a converted tfjs folder by URL: model.json, its shards and config.json', async () => {
    const src = await openModelSource(path.join(FIXTURES, 'generator_tiny_bert'));
    await writeTfjsFolder(src.stateDict, path.join(tmp, 'bert-tfjs'), { configJson: src.configJson, shardBytes: 50_000 });
    for (const url of [`${base}/converted/bert-tfjs/model.json`, `${base}/converted/bert-tfjs/`]) {
      const m = await openModelSource(url);
      expect(m.stateDict.format).toBe('tfjs');
      expect(m.weightsFile).toBe(`${base}/converted/bert-tfjs/model.json`);
      expect(m.config?.generator).toEqual(src.config?.generator);
      await sameTensors(src.stateDict, m.stateDict);
    }
    expect(requests.some((r) => /group1-shard\d+of\d+\.bin$/.test(r.url))).toBe(true);
  });

  it('fetches each tfjs shard whole, not tensor by tensor', async () => {
    const src = await openModelSource(path.join(FIXTURES, 'maskgit_vqgan_tiny'));
    // shards larger than the first probe range, each holding many tensors
    await writeTfjsFolder(src.stateDict, path.join(tmp, 'vqgan-tfjs'), { configJson: src.configJson, shardBytes: 600_000 });
    const m = await openModelSource(`${base}/converted/vqgan-tfjs/model.json`);
    await sameTensors(src.stateDict, m.stateDict);
    const shardRequests = requests.filter((r) => /group1-shard\d+of\d+\.bin$/.test(r.url));
    const shards = new Set(shardRequests.map((r) => r.url));
    expect(shards.size).toBeGreaterThanOrEqual(2);
    expect(m.stateDict.tensors.size).toBeGreaterThan(10 * shards.size);
    expect(shardRequests.length).toBeLessThanOrEqual(2 * shards.size);
  });

  it('opens a folder URL and reports HTTP errors as NetworkError with the status', async () => {
    const m = await openModelSource(`${base}/titok_tiny_vae`);
    expect(m.weightsFile).toBe(`${base}/titok_tiny_vae/model.safetensors`);
    const err = await openModelSource(`${base}/nothing/model.safetensors`).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.status).toBe(404);
    expect(err.message).toContain('/nothing/model.safetensors');
  });
});

describe('browser builds', () => {
  it('never reach node: modules statically from the main entry', () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(import|export)\s(?!type\b)[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[2]!;
        if (spec.startsWith('node:') || ['fs', 'path', 'os', 'crypto'].includes(spec)) offenders.push(`${path.relative(__dirname, file)} -> ${spec}`);
        else if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    walk(path.resolve(__dirname, '../index.ts'));
    expect(seen.size).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });

  it('map the Node-only module to a stub with the same exports', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    expect(pkg.browser['./dist/model-source/node-files.js']).toBe('./dist/model-source/node-files.browser.js');
    // the disk cache and file sources are reached only by dynamic imports taken in Node
    for (const m of ['cache/disk-cache', 'cache/disk-paths', 'cache/file-lock', 'source/node']) {
      expect(pkg.browser[`./dist/${m}.js`]).toBe(false);
      expect(fs.existsSync(path.resolve(__dirname, `../${m}.ts`))).toBe(true);
    }
    const real = await import('./node-files.js');
    const stub = await import('./node-files.browser.js');
    expect(Object.keys(stub).sort()).toEqual(Object.keys(real).sort());
    expect(await stub.nodePathResolver.resolve('/any/path', {})).toBeUndefined();
  });
});
