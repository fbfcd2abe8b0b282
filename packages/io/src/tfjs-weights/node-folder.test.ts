import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FormatError, InputError, CancelledError } from '@titok/core';
import type { StateDict, StateDictTensor } from '@titok/core';
import { writeTfjsFolder } from './node-folder.js';

function synthetic(n: number, failAt?: number): StateDict {
  const tensors = new Map<string, StateDictTensor>();
  for (let i = 0; i < n; i++) {
    const name = `layer.${i}.weight`;
    tensors.set(name, {
      name,
      dtype: 'F32',
      shape: [64, 16],
      byteLength: 4096,
      read: async () => {
        if (i === failAt) throw new FormatError(`tensor '${name}': damaged`, { file: 'x.bin' });
        return new Uint8Array(4096).fill(i);
      },
    });
  }
  return { format: 'safetensors', source: 'x.safetensors', tensors, metadata: {}, close: async () => {} };
}

let tmp: string;
beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-folder-'))));
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('writeTfjsFolder', () => {
  it('writes shards, model.json and config.json', async () => {
    const out = path.join(tmp, 'a', 'b');
    const w = await writeTfjsFolder(synthetic(10), out, { shardBytes: 10_000, configJson: { model: {} } });
    expect(w.files[w.files.length - 1]).toBe('model.json');
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'group1-shard1of5.bin', 'group1-shard2of5.bin', 'group1-shard3of5.bin', 'group1-shard4of5.bin', 'group1-shard5of5.bin', 'model.json']);
    expect(w.bytes).toBe(fs.readdirSync(out).reduce((s, f) => s + fs.statSync(path.join(out, f)).size, 0));
  });

  it('leaves nothing behind when a tensor fails after shards were written', async () => {
    const out = path.join(tmp, 'out');
    const err = await writeTfjsFolder(synthetic(10, 8), out, { shardBytes: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('keeps the old folder intact when a forced conversion fails, and replaces it when one succeeds', async () => {
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'old.txt'), 'old');
    await expect(writeTfjsFolder(synthetic(10, 9), out, { shardBytes: 10_000, force: true })).rejects.toThrow(FormatError);
    expect(fs.readdirSync(tmp)).toEqual(['out']);
    expect(fs.readdirSync(out)).toEqual(['old.txt']);
    await expect(writeTfjsFolder(synthetic(3), out)).rejects.toThrow(InputError);
    await writeTfjsFolder(synthetic(3), out, { force: true });
    expect(fs.readdirSync(out).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(fs.readdirSync(tmp)).toEqual(['out']);
  });

  it('writes into an existing empty folder, refuses a file, and stops on abort', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    await writeTfjsFolder(synthetic(2), empty);
    expect(fs.readdirSync(empty)).toContain('model.json');
    fs.writeFileSync(path.join(tmp, 'file'), '');
    await expect(writeTfjsFolder(synthetic(2), path.join(tmp, 'file'), { force: true })).rejects.toThrow(/exists and is not a folder/);
    const ac = new AbortController();
    ac.abort();
    await expect(writeTfjsFolder(synthetic(2), path.join(tmp, 'aborted'), { signal: ac.signal })).rejects.toThrow(CancelledError);
    expect(fs.existsSync(path.join(tmp, 'aborted'))).toBe(false);
  });
});
