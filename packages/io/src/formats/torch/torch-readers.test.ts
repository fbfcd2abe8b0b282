import { FormatError, UnsafePickleError, toFloat32 } from '@titok/core';
import { readCheckpoint } from '../read-checkpoint.js';
import { bytesSource } from '../../source/byte-source.js';
import { f32, i64, torchLegacy, torchZip } from '../../../../../test/io/helpers/checkpoint-builder.js';
import type { StorageSpec, TensorSpec } from '../../../../../test/io/helpers/checkpoint-builder.js';

const DATA = Array.from({ length: 24 }, (_, i) => i + 0.5);
const S0: StorageSpec = { key: '0', dtype: 'F32', data: f32(DATA) };
const S1: StorageSpec = { key: '1', dtype: 'I64', data: i64([10, 11, 12, 13]) };

/** What a strided view holds, computed by recursion over the dimensions. */
function expected(data: number[], t: TensorSpec): number[] {
  const out: number[] = [];
  const rec = (dim: number, at: number) => {
    if (dim === t.shape.length) return void out.push(data[at]!);
    for (let i = 0; i < t.shape[dim]!; i++) rec(dim + 1, at + i * t.stride![dim]!);
  };
  rec(0, t.offset ?? 0);
  return out;
}

const VIEWS: TensorSpec[] = [
  { name: 'full', storage: '0', shape: [4, 6], stride: [6, 1] },
  { name: 'transposed', storage: '0', shape: [6, 4], stride: [1, 6] },
  { name: 'slice', storage: '0', offset: 6, shape: [2, 3], stride: [6, 1] },
  { name: 'column', storage: '0', offset: 1, shape: [4], stride: [6] },
  { name: 'expanded', storage: '0', offset: 2, shape: [3, 2], stride: [0, 1] },
  { name: 'scalar', storage: '0', offset: 5, shape: [], stride: [] },
  { name: 'empty', storage: '0', shape: [0, 3], stride: [3, 1] },
  { name: 'param', storage: '0', offset: 12, shape: [3, 4], stride: [4, 1], parameter: true },
  { name: 'i.first', storage: '1', shape: [2], stride: [1] },
  { name: 'i.second', storage: '1', offset: 2, shape: [2], stride: [1] },
];

async function checkViews(bytes: Uint8Array, format: string): Promise<void> {
  const sd = await readCheckpoint(bytes, { name: 'views.bin' });
  expect(sd.format).toBe(format);
  expect([...sd.tensors.keys()]).toEqual(VIEWS.map((t) => t.name));
  for (const t of VIEWS) {
    const got = sd.tensors.get(t.name)!;
    expect(got.shape).toEqual(t.shape);
    const b = await got.read();
    expect(b.byteLength).toBe(got.byteLength);
    if (t.storage === '0') expect(Array.from(toFloat32(b, 'F32'))).toEqual(expected(DATA, t));
    else expect(Array.from(new BigInt64Array(b.slice().buffer)).map(Number)).toEqual(expected([10, 11, 12, 13], t));
  }
}

describe('PyTorch zip checkpoints', () => {
  it('honours offsets, strides, shared storages, parameters and scalars', async () => {
    await checkViews(await torchZip([S0, S1], VIEWS), 'torch-zip');
  });

  it.each([
    ['deflated records', { deflate: true }],
    ['zip64 records', { zip64: true }],
    ['another archive prefix', { prefix: 'tokenizer_titok_l32' }],
    ['protocol 4 (FRAME, STACK_GLOBAL)', { protocol: 4 as const }],
    ['a little-endian byteorder record', { byteorder: 'little' }],
  ])('reads %s', async (_, options) => {
    await checkViews(await torchZip([S0, S1], VIEWS, options), 'torch-zip');
  });

  it.each(['state_dict', 'model', 'model.state_dict'])('unwraps a state dict wrapped as %s', async (wrap) => {
    const sd = await readCheckpoint(await torchZip([S0, S1], VIEWS, { wrap }));
    expect(sd.unwrapped).toBe(wrap);
    expect(sd.tensors.size).toBe(VIEWS.length);
  });

  it('reads a plain state dict as not unwrapped', async () => {
    expect((await readCheckpoint(await torchZip([S0], VIEWS.slice(0, 1)))).unwrapped).toBeUndefined();
  });

  it('refuses a storage record shorter than the pickle declares', async () => {
    const short = { ...S0, declaredNumel: 25 };
    await expect(readCheckpoint(await torchZip([short], VIEWS.slice(0, 1)), { name: 'short.bin' })).rejects.toThrow(
      /short\.bin: storage '0': record archive\/data\/0 holds 96 bytes but the pickle declares 25 F32 elements \(100 bytes\)/,
    );
  });

  it('refuses a storage of 2^50 elements at once, without allocating it', async () => {
    const huge = { ...S0, declaredNumel: 2 ** 50 };
    const t = Date.now();
    await expect(readCheckpoint(await torchZip([huge], VIEWS.slice(0, 1)))).rejects.toThrow(FormatError);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('refuses a view that reaches past its storage, naming the tensor', async () => {
    const bad: TensorSpec = { name: 'too.far', storage: '0', offset: 20, shape: [2, 3], stride: [3, 1] };
    await expect(readCheckpoint(await torchZip([S0], [bad]))).rejects.toThrow(/tensor 'too\.far': .* needs 26 elements but storage '0' holds 24/);
  });

  it('refuses a big-endian checkpoint', async () => {
    await expect(readCheckpoint(await torchZip([S0], VIEWS.slice(0, 1), { byteorder: 'big' }))).rejects.toThrow(/big-endian/);
  });

  it('refuses a missing storage record and an archive without data.pkl', async () => {
    const missing = await torchZip([S0, S1], VIEWS, { omitRecords: ['1'] });
    await expect(readCheckpoint(missing, { name: 'm.bin' })).rejects.toThrow(/m\.bin: storage '1': the archive has no record archive\/data\/1/);
    expect((await readCheckpoint(await torchZip([], []))).tensors.size).toBe(0);
    const noPickle = (await torchZip([S0], VIEWS.slice(0, 1), { prefix: 'a' })).slice();
    // rename data.pkl -> data.pkX in both the local header and the central directory
    const text = new TextDecoder('latin1').decode(noPickle);
    for (let i = text.indexOf('data.pkl'); i >= 0; i = text.indexOf('data.pkl', i + 1)) noPickle[i + 7] = 0x58;
    await expect(readCheckpoint(noPickle, { name: 'np.bin' })).rejects.toThrow(/np\.bin: a zip archive but not a PyTorch checkpoint: there is no data\.pkl/);
  });

  it('refuses non-tensor values that are not a wrapper', async () => {
    const { PickleBuilder } = await import('../pickle/pickler.js');
    const pkl = new PickleBuilder().proto(2).emptyDict().mark().str('epoch').int(3).setItems().stop().bytes();
    const { ZipWriter } = await import('../zip/zip-writer.js');
    const chunks: Uint8Array[] = [];
    const w = new ZipWriter({ write: (c) => void chunks.push(c.slice()) });
    await w.add('archive/data.pkl', pkl);
    await w.finish();
    const { concat } = await import('../../../../../test/io/helpers/checkpoint-builder.js');
    await expect(readCheckpoint(concat(chunks))).rejects.toThrow(/not a state dict: key "epoch" holds a int/);
  });

  it('refuses forbidden globals inside a valid archive', async () => {
    const { PickleBuilder } = await import('../pickle/pickler.js');
    const { ZipWriter } = await import('../zip/zip-writer.js');
    for (const [m, n] of [['builtins', 'eval'], ['torch', 'load'], ['numpy.core.multiarray', '_reconstruct'], ['torch._utils', '_rebuild_tensor']]) {
      const chunks: Uint8Array[] = [];
      const w = new ZipWriter({ write: (c) => void chunks.push(c.slice()) });
      await w.add('archive/data.pkl', new PickleBuilder().proto(2).global(m!, n!).emptyTuple().reduce().stop().bytes());
      await w.finish();
      const { concat } = await import('../../../../../test/io/helpers/checkpoint-builder.js');
      const err = await readCheckpoint(concat(chunks)).catch((e) => e);
      expect(err).toBeInstanceOf(UnsafePickleError);
      expect(err.global).toBe(`${m}.${n}`);
    }
  });
});

describe('PyTorch legacy checkpoints', () => {
  it('honours offsets, strides and shared storages', async () => {
    await checkViews(torchLegacy([S0, S1], VIEWS), 'torch-legacy');
  });

  it('honours storage views (view_metadata)', async () => {
    const views: TensorSpec[] = [
      { name: 'a', storage: '0', view: { key: 'v1', offset: 6, size: 12 }, shape: [2, 6], stride: [6, 1] },
      { name: 'b', storage: '0', view: { key: 'v2', offset: 3, size: 4 }, offset: 1, shape: [3], stride: [1] },
    ];
    const sd = await readCheckpoint(torchLegacy([S0], views));
    expect(Array.from(toFloat32(await sd.tensors.get('a')!.read(), 'F32'))).toEqual(DATA.slice(6, 18));
    expect(Array.from(toFloat32(await sd.tensors.get('b')!.read(), 'F32'))).toEqual(DATA.slice(4, 7));
  });

  it('unwraps a wrapped state dict', async () => {
    expect((await readCheckpoint(torchLegacy([S0, S1], VIEWS, { wrap: 'state_dict' }))).unwrapped).toBe('state_dict');
  });

  it('refuses a stored element count that differs from the pickle', async () => {
    await expect(readCheckpoint(torchLegacy([S0], VIEWS.slice(0, 1), { storedCount: { '0': 2n ** 40n } }), { name: 'l.bin' })).rejects.toThrow(
      /l\.bin: storage '0': the file holds 1099511627776 elements but the pickle declares 24/,
    );
  });

  it('refuses a truncated file', async () => {
    const full = torchLegacy([S0], VIEWS.slice(0, 1));
    await expect(readCheckpoint(full.subarray(0, full.length - 5))).rejects.toThrow(/run past the end of the file/);
    await expect(readCheckpoint(full.subarray(0, 60))).rejects.toThrow(FormatError);
  });

  it('reads a state-dict pickle larger than the first read window', async () => {
    const many: TensorSpec[] = Array.from({ length: 9000 }, (_, i) => ({ name: `layer.${i}.weight.with.a.long.name.to.grow.the.pickle`, storage: '0', offset: i % 20, shape: [2], stride: [1] }));
    const sd = await readCheckpoint(bytesSource(torchLegacy([S0], many)));
    expect(sd.tensors.size).toBe(9000);
    expect(Array.from(toFloat32(await sd.tensors.get('layer.8999.weight.with.a.long.name.to.grow.the.pickle')!.read(), 'F32'))).toEqual(DATA.slice(19, 21));
  });
});
