import { FormatError, dtypeSize, floatToHalf, halfToFloat } from '@titok/core';
import type { DType, StateDict, StateDictTensor } from '@titok/core';
import { bytesSource } from '../source/byte-source.js';
import { writeTfjsWeights } from './tfjs-writer.js';
import { readTfjsWeights } from './tfjs-reader.js';
import { parseModelJson } from './manifest.js';

function synthetic(specs: { name: string; dtype: DType; shape: number[] }[]): StateDict {
  const tensors = new Map<string, StateDictTensor>();
  specs.forEach((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data =
      s.dtype === 'I64'
        ? new Uint8Array(BigInt64Array.from({ length: n }, (_, k) => BigInt(k * 1000 - 3)).buffer)
        : s.dtype === 'BOOL'
          ? Uint8Array.from({ length: n }, (_, k) => k & 1)
          : Uint8Array.from({ length: n * dtypeSize(s.dtype) }, (_, k) => (k * 13 + i * 7) & 0x7f);
    tensors.set(s.name, { ...s, byteLength: data.byteLength, read: async () => data });
  });
  return { format: 'safetensors', source: '/some/where/model.safetensors', tensors, metadata: {}, close: async () => {} };
}

async function write(sd: StateDict, options: Parameters<typeof writeTfjsWeights>[2] = {}) {
  const files = new Map<string, Uint8Array>();
  const model = await writeTfjsWeights(sd, { writeFile: async (n, b) => void files.set(n, b.slice()) }, options);
  return { model, files };
}

describe('tfjs weights writer and reader', () => {
  const sd = synthetic([
    { name: 'a.weight', dtype: 'F32', shape: [30, 7] },
    { name: 'a.bias', dtype: 'F32', shape: [30] },
    { name: 'ids', dtype: 'I64', shape: [1, 9] },
    { name: 'flag', dtype: 'BOOL', shape: [3] },
    { name: 'scalar', dtype: 'F32', shape: [] },
  ]);

  it('splits weights across shards of the given size, tensors spanning shard boundaries', async () => {
    const { model, files } = await write(sd, { shardBytes: 100, config: { model: {} }, preset: 'x' });
    const total = (30 * 7 + 30) * 4 + 9 * 4 + 3 + 4;
    expect(model.weightsManifest[0]!.paths).toEqual(Array.from({ length: Math.ceil(total / 100) }, (_, i) => `group1-shard${i + 1}of${Math.ceil(total / 100)}.bin`));
    for (const p of model.weightsManifest[0]!.paths.slice(0, -1)) expect(files.get(p)!.byteLength).toBe(100);
    expect(model.format).toBe('titok-weights');
    expect(model.generatedBy).toMatch(/^@titok\/io /);
    expect(model.config).toEqual({ model: {} });
    expect(model.source).toEqual({ file: 'model.safetensors', format: 'safetensors' });
    expect(JSON.parse(new TextDecoder().decode(files.get('model.json')!))).toEqual(model);
    expect(model.weightsManifest[0]!.weights.map((w) => w.dtype)).toEqual(['float32', 'float32', 'int32', 'bool', 'float32']);

    const back = await readTfjsWeights(new TextDecoder().decode(files.get('model.json')!), {
      name: 'model.json',
      openRelated: async (p) => bytesSource(files.get(p)!, p),
    });
    expect(back.metadata.preset).toBe('x');
    expect(JSON.parse(back.metadata.config!)).toEqual({ model: {} });
    for (const t of sd.tensors.values()) {
      const r = back.tensors.get(t.name)!;
      expect(r.shape).toEqual(t.shape);
      const raw = await t.read();
      if (t.dtype === 'F32') expect(await r.read()).toEqual(raw);
    }
    expect(Array.from(new Int32Array((await back.tensors.get('ids')!.read()).slice().buffer))).toEqual(
      Array.from(new BigInt64Array((await sd.tensors.get('ids')!.read()).slice().buffer)).map(Number),
    );
    await back.close();
  });

  it('stores floats as float16 with tfjs quantization metadata', async () => {
    const { model, files } = await write(sd, { dtype: 'float16' });
    const w = model.weightsManifest[0]!.weights[0]!;
    expect(w).toEqual({ name: 'a.weight', shape: [30, 7], dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } });
    const back = await readTfjsWeights(JSON.parse(new TextDecoder().decode(files.get('model.json')!)), {
      name: 'model.json',
      openRelated: async (p) => bytesSource(files.get(p)!, p),
    });
    const t = back.tensors.get('a.bias')!;
    expect(t.dtype).toBe('F16');
    const orig = new Float32Array((await sd.tensors.get('a.bias')!.read()).slice().buffer);
    const halves = new Uint16Array((await t.read()).slice().buffer);
    expect(Array.from(halves)).toEqual(Array.from(orig, (x) => floatToHalf(x)));
    expect(halves.some((h) => halfToFloat(h) !== 0)).toBe(true);
  });

  it('reports a missing shard and data that ends early as typed errors', async () => {
    const { files } = await write(sd, { shardBytes: 100 });
    const json = new TextDecoder().decode(files.get('model.json')!);
    const missing = await readTfjsWeights(json, {
      name: 'm/model.json',
      openRelated: async (p) => {
        if (p.includes('shard3of')) throw new FormatError('no such file', { file: p });
        return bytesSource(files.get(p)!, p);
      },
    });
    await expect(missing.tensors.get('a.bias')!.read()).rejects.toThrow(/no such file/);
    const short = await readTfjsWeights(json, { name: 'm/model.json', openRelated: async (p) => bytesSource(files.get(p)!.subarray(0, 50), p) });
    await expect(short.tensors.get('scalar')!.read()).rejects.toThrow(/m\/model\.json: weight 'scalar': the shards end before its data/);
  });

  it.each([
    [{ weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }, /must be a plain file name/],
    [{ weightsManifest: [{ paths: ['/abs.bin'], weights: [] }] }, /must be a plain file name/],
    [{ weightsManifest: [{ paths: ['a.bin'], weights: [{ name: 'w', shape: [-1], dtype: 'float32' }] }] }, /non-negative integers/],
    [{ weightsManifest: [{ paths: ['a.bin'], weights: [{ name: 'w', shape: [1], dtype: 'string' }] }] }, /unsupported dtype/],
    [{ weightsManifest: [{ paths: ['a.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }] }] }, /only float16 quantization/],
    [{ weightsManifest: [{ paths: ['a.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }, { name: 'w', shape: [1], dtype: 'float32' }] }] }, /appears twice/],
    [{}, /no weightsManifest/],
    ['{not json', /not valid JSON/],
  ])('refuses a bad model.json (%#)', (json, why) => {
    expect(() => parseModelJson(typeof json === 'string' ? json : JSON.stringify(json), 'model.json')).toThrow(why);
  });
});
