import { FormatError, dtypeSize, numel } from '@titok/core';
import type { DType, StateDict } from '@titok/core';
import { PickleBuilder } from '../pickle/pickler.js';
import type { ByteSink, TensorData } from '../safetensors-writer.js';
import { ZipWriter } from '../zip/zip-writer.js';
import { STORAGE_DTYPES } from './torch-pickle.js';

const STORAGE_CLASS: Record<DType, string> = Object.fromEntries(Object.entries(STORAGE_DTYPES).map(([cls, dt]) => [dt, cls])) as Record<DType, string>;

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * The `data.pkl` that `torch.save(state_dict)` writes (protocol 2): an OrderedDict of tensors
 * rebuilt with `torch._utils._rebuild_tensor_v2` from storages named `0`, `1`, ... in order.
 */
export function stateDictPickle(tensors: readonly { name: string; dtype: DType; shape: readonly number[] }[]): Uint8Array {
  const p = new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  tensors.forEach((t, i) => {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', STORAGE_CLASS[t.dtype]).str(String(i)).str('cpu').int(numel(t.shape)).tuple().binPersId();
    p.int(0).intTuple(t.shape).intTuple(contiguousStrides(t.shape)).bool(false);
    p.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  });
  return p.setItems().stop().bytes();
}

/**
 * Writes a state dict as a PyTorch zip checkpoint (what `torch.save(state_dict, path)` writes
 * since PyTorch 1.6): `<prefix>/data.pkl`, `<prefix>/byteorder`, one stored record per tensor
 * under `<prefix>/data/`, `<prefix>/version`; zip64 when the archive passes 4 GB. Tensors are
 * read one at a time. `torch.load` reads the result.
 *
 * @returns the number of bytes written
 */
export async function writeTorchZip(
  input: StateDict | readonly TensorData[],
  sink: ByteSink,
  options: { prefix?: string; zip64?: boolean } = {},
): Promise<number> {
  const prefix = options.prefix ?? 'archive';
  const list = Array.isArray(input)
    ? (input as readonly TensorData[]).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength, read: async () => t.data }))
    : [...(input as StateDict).tensors.values()];
  const zip = new ZipWriter(sink, { zip64: options.zip64 });
  await zip.add(`${prefix}/data.pkl`, stateDictPickle(list));
  await zip.add(`${prefix}/byteorder`, new TextEncoder().encode('little'));
  let i = 0;
  for (const t of list) {
    const bytes = await t.read();
    if (bytes.byteLength !== numel(t.shape) * dtypeSize(t.dtype)) throw new FormatError(`tensor '${t.name}': ${bytes.byteLength} bytes do not match its shape`);
    await zip.add(`${prefix}/data/${i++}`, bytes);
  }
  await zip.add(`${prefix}/version`, new TextEncoder().encode('3\n'));
  return zip.finish();
}
