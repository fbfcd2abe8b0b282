/**
 * Builds PyTorch checkpoints opcode by opcode for tests: zip (stored or deflated, any prefix,
 * zip64) and legacy files with storages shared between tensors, views with offsets and strides,
 * wrapped state dicts, and deliberately wrong declarations. Mirrors what `torch.save` writes.
 */
import { dtypeSize } from '@titok/core';
import type { DType } from '@titok/core';
import { zipSync } from 'fflate';
import { PickleBuilder } from '../../../packages/io/src/formats/pickle/pickler.js';
import { ZipWriter } from '../../../packages/io/src/formats/zip/zip-writer.js';
import { STORAGE_DTYPES } from '../../../packages/io/src/formats/torch/torch-pickle.js';

export interface StorageSpec {
  key: string;
  dtype: DType;
  data: Uint8Array;
  /** Element count the pickle declares (default: the real one). */
  declaredNumel?: number;
}

export interface TensorSpec {
  name: string;
  storage: string;
  offset?: number;
  shape: number[];
  stride?: number[];
  /** Wrap in torch._utils._rebuild_parameter. */
  parameter?: boolean;
  /** Legacy only: the tensor's storage is a view (key, element offset, size) of `storage`. */
  view?: { key: string; offset: number; size: number };
}

export interface BuildOptions {
  /** Wrap the state dict: `state_dict` -> {'epoch': 3, 'state_dict': sd}; `model.state_dict` nests twice. */
  wrap?: string;
  /** 2 (default, GLOBAL) or 4 (FRAME, STACK_GLOBAL). */
  protocol?: 2 | 4;
}

const CLASS: Record<string, string> = Object.fromEntries(Object.entries(STORAGE_DTYPES).map(([c, d]) => [d, c]));

function strides(shape: number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

function global(p: PickleBuilder, protocol: number, m: string, n: string): void {
  if (protocol >= 4) p.stackGlobal(m, n);
  else p.global(m, n);
}

/** The state-dict pickle (data.pkl, or the legacy main pickle when `legacy`). */
export function statePickle(storages: StorageSpec[], tensors: TensorSpec[], options: BuildOptions & { legacy?: boolean } = {}): Uint8Array {
  const protocol = options.protocol ?? 2;
  const p = new PickleBuilder().proto(protocol);
  const byKey = new Map(storages.map((s) => [s.key, s]));
  const wrap = options.wrap ? options.wrap.split('.') : [];
  for (const key of wrap) p.emptyDict().mark().str('epoch').int(3).str(key);
  global(p, protocol, 'collections', 'OrderedDict');
  p.emptyTuple().reduce().mark();
  for (const t of tensors) {
    const s = byKey.get(t.storage)!;
    p.str(t.name);
    if (t.parameter) global(p, protocol, 'torch._utils', '_rebuild_parameter'), p.mark();
    global(p, protocol, 'torch._utils', '_rebuild_tensor_v2');
    p.mark().mark().str('storage');
    global(p, protocol, 'torch', CLASS[s.dtype]!);
    p.str(s.key).str('cpu').int(s.declaredNumel ?? s.data.byteLength / dtypeSize(s.dtype));
    if (options.legacy) {
      if (t.view) p.mark().str(t.view.key).int(t.view.offset).int(t.view.size).tuple();
      else p.none();
    }
    p.tuple().binPersId();
    p.int(t.offset ?? 0).intTuple(t.shape).intTuple(t.stride ?? strides(t.shape)).bool(false);
    global(p, protocol, 'collections', 'OrderedDict');
    p.emptyTuple().reduce().tuple().reduce();
    if (t.parameter) {
      p.bool(true);
      global(p, protocol, 'collections', 'OrderedDict');
      p.emptyTuple().reduce().tuple().reduce();
    }
  }
  p.setItems();
  for (let i = 0; i < wrap.length; i++) p.setItems();
  return p.stop().bytes();
}

/** A `torch.save` zip archive. */
export async function torchZip(
  storages: StorageSpec[],
  tensors: TensorSpec[],
  options: BuildOptions & { prefix?: string; deflate?: boolean; zip64?: boolean; byteorder?: string; records?: Record<string, Uint8Array>; omitRecords?: string[] } = {},
): Promise<Uint8Array> {
  const prefix = options.prefix ?? 'archive';
  const files: [string, Uint8Array][] = [[`${prefix}/data.pkl`, statePickle(storages, tensors, options)]];
  if (options.byteorder) files.push([`${prefix}/byteorder`, new TextEncoder().encode(options.byteorder)]);
  for (const s of storages) if (!options.omitRecords?.includes(s.key)) files.push([`${prefix}/data/${s.key}`, s.data]);
  files.push([`${prefix}/version`, new TextEncoder().encode('3\n')]);
  for (const [k, v] of Object.entries(options.records ?? {})) files.push([k, v]);
  if (options.deflate) return zipSync(Object.fromEntries(files.map(([n, d]) => [n, [d, { level: 6 }]])));
  const chunks: Uint8Array[] = [];
  const zip = new ZipWriter({ write: (c) => void chunks.push(c.slice()) }, { zip64: options.zip64 });
  for (const [n, d] of files) await zip.add(n, d);
  await zip.finish();
  return concat(chunks);
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let p = 0;
  for (const c of chunks) out.set(c, (p += c.byteLength) - c.byteLength);
  return out;
}

/** A pre-1.6 (non-zip) `torch.save` file; storages are written in `storages` order. */
export function torchLegacy(storages: StorageSpec[], tensors: TensorSpec[], options: BuildOptions & { storedCount?: Record<string, bigint> } = {}): Uint8Array {
  const magic = new PickleBuilder().proto(2).int(0x1950a86a20f9469cfc6cn).stop().bytes();
  const version = new PickleBuilder().proto(2).int(1001).stop().bytes();
  const info = new PickleBuilder().proto(2).emptyDict().mark().str('protocol_version').int(1001).str('little_endian').bool(true).setItems().stop().bytes();
  const main = statePickle(storages, tensors, { ...options, legacy: true });
  const keys = new PickleBuilder().proto(2).emptyList().mark();
  for (const s of storages) keys.str(s.key);
  const parts = [magic, version, info, main, keys.appends().stop().bytes()];
  for (const s of storages) {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setBigInt64(0, options.storedCount?.[s.key] ?? BigInt(s.data.byteLength / dtypeSize(s.dtype)), true);
    parts.push(head, s.data);
  }
  return concat(parts);
}

/** Little-endian bytes of float32 values. */
export function f32(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Little-endian bytes of int64 values. */
export function i64(values: number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
}
