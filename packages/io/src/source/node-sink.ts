import * as fsp from 'node:fs/promises';
import { FormatError } from '@titok/core';
import type { ByteSink } from '../formats/safetensors-writer.js';

/** A {@link ByteSink} that appends to a new file (refusing to overwrite one); `close()` when done. */
export async function fileSink(path: string, options: { overwrite?: boolean } = {}): Promise<ByteSink & { close(): Promise<void>; bytes: number }> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, options.overwrite ? 'w' : 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'EEXIST' ? 'the file exists already' : (e as Error).message, { file: path, cause: e });
  }
  const sink = {
    bytes: 0,
    async write(chunk: Uint8Array) {
      let done = 0;
      while (done < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
        done += bytesWritten;
      }
      sink.bytes += chunk.byteLength;
    },
    async close() {
      await handle.close();
    },
  };
  return sink;
}
