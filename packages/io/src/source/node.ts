import * as fsp from 'node:fs/promises';
import { FormatError } from '@titok/core';
import type { ByteSource } from './byte-source.js';

/**
 * Opens a file as a {@link ByteSource} that reads ranges with positional reads, so that
 * headers and pickles can be parsed without loading the file and no byte is held twice.
 */
export async function fileSource(path: string): Promise<ByteSource> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new FormatError(why, { file: path, cause: e });
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new FormatError('not a regular file', { file: path });
  }
  const size = stat.size;
  let closed = false;
  return {
    name: path,
    size,
    async read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        throw new FormatError(`unexpected end of file: wanted ${length} bytes at offset ${offset}, the file has ${size}`, { file: path });
      }
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, Math.min(length - done, 1 << 30), offset + done);
        if (bytesRead === 0) throw new FormatError(`the file shrank while reading at offset ${offset + done}`, { file: path });
        done += bytesRead;
      }
      return out;
    },
    async close() {
      if (!closed) {
        closed = true;
        await handle.close();
      }
    },
  };
}
