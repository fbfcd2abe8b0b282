import { FormatError, numel } from '@titok/core';
import type { DType, StateDict, StateDictTensor } from '@titok/core';
import { bytesSource } from '../source/byte-source.js';
import type { ByteSource } from '../source/byte-source.js';
import { storageSize } from '../formats/dtype-convert.js';
import { parseModelJson, specStorage } from './manifest.js';

/** Options of {@link readTfjsWeights}. */
export interface TfjsReadOptions {
  /** model.json's path or URL, for messages. */
  name: string;
  /** Opens a shard by its path relative to model.json. */
  openRelated: (path: string) => Promise<ByteSource>;
}

const STORED: Record<string, DType> = { float32: 'F32', float16: 'F16', int32: 'I32', bool: 'BOOL' };
/** Shards kept open at once (reads are mostly sequential). */
const OPEN_SHARDS = 2;
/**
 * Shards up to this size are read whole when first touched (tfjs writes 4 MB shards): one read
 * per shard instead of one per tensor, which over HTTP is one Range request instead of dozens.
 */
const WHOLE_SHARD_BYTES = 64 * 1024 * 1024;

/** The shards of one weights group, opened on demand; their sizes are learnt as they open. */
class ShardSet {
  private readonly sizes: (number | undefined)[];
  private readonly open = new Map<number, ByteSource>();
  /** Reads run one after another, so that closing an old shard never races a read. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly paths: string[],
    private readonly opener: (path: string) => Promise<ByteSource>,
    private readonly file: string,
  ) {
    this.sizes = paths.map(() => undefined);
  }

  private async source(i: number): Promise<ByteSource> {
    let s = this.open.get(i);
    if (s) {
      this.open.delete(i);
      this.open.set(i, s);
      return s;
    }
    s = await this.opener(this.paths[i]!);
    if (s.size <= WHOLE_SHARD_BYTES) {
      const opened = s;
      try {
        s = bytesSource(await opened.read(0, opened.size), opened.name);
      } finally {
        await opened.close();
      }
    }
    this.sizes[i] = s.size;
    this.open.set(i, s);
    while (this.open.size > OPEN_SHARDS) {
      const [oldest, src] = this.open.entries().next().value as [number, ByteSource];
      this.open.delete(oldest);
      await src.close();
    }
    return s;
  }

  private async size(i: number): Promise<number> {
    return this.sizes[i] ?? (await this.source(i)).size;
  }

  /** Reads `length` bytes at `offset` of the group's concatenated shards. */
  read(offset: number, length: number, what: string): Promise<Uint8Array> {
    const next = this.chain.then(() => this.readNow(offset, length, what));
    this.chain = next.catch(() => {});
    return next;
  }

  private async readNow(offset: number, length: number, what: string): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let start = 0;
    let done = 0;
    for (let i = 0; i < this.paths.length && done < length; i++) {
      const size = await this.size(i);
      const end = start + size;
      const from = offset + done;
      if (from < end) {
        const n = Math.min(end - from, length - done);
        out.set(await (await this.source(i)).read(from - start, n), done);
        done += n;
      }
      start = end;
    }
    if (done < length) throw new FormatError(`${what}: the shards end before its data (${start} bytes in all)`, { file: this.file });
    return out;
  }

  async close(): Promise<void> {
    await this.chain;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}

/**
 * Reads a tfjs weights folder (model.json + shards) back into a {@link StateDict}: float32
 * weights as F32, float16-quantized ones as F16 (their stored bits), int32 as I32, bool as
 * BOOL. Shards are opened only when a tensor in them is read.
 *
 * @param json - model.json's text or parsed object
 */
export async function readTfjsWeights(json: string | unknown, options: TfjsReadOptions): Promise<StateDict> {
  const file = options.name;
  const model = parseModelJson(json, file);
  const tensors = new Map<string, StateDictTensor>();
  const groups: ShardSet[] = [];
  for (const group of model.weightsManifest) {
    const shards = new ShardSet(group.paths, options.openRelated, file);
    groups.push(shards);
    let offset = 0;
    for (const spec of group.weights) {
      const stored = specStorage(spec);
      const byteLength = numel(spec.shape) * storageSize(stored);
      if (!Number.isSafeInteger(byteLength)) throw new FormatError(`weight '${spec.name}': shape is too large`, { file });
      const at = offset;
      tensors.set(spec.name, {
        name: spec.name,
        dtype: STORED[stored]!,
        shape: spec.shape,
        byteLength,
        read: () => shards.read(at, byteLength, `weight '${spec.name}'`),
      });
      offset += byteLength;
    }
  }
  const metadata: Record<string, string> = { format: String(model.format ?? ''), generatedBy: String(model.generatedBy ?? '') };
  if (model.preset) metadata.preset = String(model.preset);
  if (model.config) metadata.config = JSON.stringify(model.config);
  if (model.source?.unwrapped) metadata.unwrapped = String(model.source.unwrapped);
  return {
    format: 'tfjs',
    source: file,
    tensors,
    metadata,
    close: async () => {
      await Promise.all(groups.map((g) => g.close()));
    },
  };
}
