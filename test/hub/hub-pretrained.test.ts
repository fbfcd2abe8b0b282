import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TitokGenerator } from '@titok/generator';
import { TiTok } from '@titok/tokenizer';
import { FIXTURES } from '../helpers/fixtures.js';
import { startHubServer } from './helpers/hub-server.js';
import type { HubServer } from './helpers/hub-server.js';
import { tempDir } from './helpers/temp.js';

let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({
    'titok-test/tiny-vae': { dir: path.join(FIXTURES, 'titok_tiny_vae'), files: ['config.json', 'model.safetensors'] },
    'titok-test/tiny-bert': { dir: path.join(FIXTURES, 'generator_tiny_bert'), files: ['config.json', 'model.safetensors'] },
  });
});
afterAll(() => server.close());

describe('fromPretrained by hub id', () => {
  test('the tokenizer and the generator load from the hub through the cache, then offline', async () => {
    const dir = tempDir();
    const statuses: string[] = [];
    const opts = { endpoint: server.endpoint, cacheDir: dir, device: 'cpu' as const, progress_callback: (e: { status: string }) => statuses.push(e.status) };
    const titok = await TiTok.fromPretrained('titok-test/tiny-vae', opts);
    expect(titok.imageSize).toBe(64);
    const gen = await TitokGenerator.fromPretrained('titok-test/tiny-bert', opts);
    expect(gen.numTokens).toBe(8);
    expect(statuses).toEqual(expect.arrayContaining(['initiate', 'download', 'progress', 'done', 'ready']));
    expect(server.requests.filter((r) => r.server === 'cdn')).toHaveLength(2);
    titok.dispose();
    gen.dispose();

    server.requests.length = 0;
    const before = tf.memory().numTensors;
    const again = await TiTok.fromPretrained('titok-test/tiny-vae', { ...opts, offline: true });
    expect(server.requests).toHaveLength(0);
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
