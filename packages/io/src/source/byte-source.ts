import { FormatError } from '@titok/core';

/**
 * Random access to the bytes of a checkpoint, wherever they are: in memory, in a Blob/File
 * (browser), or in a file on disk (Node, see `@titok/io/node`). Readers only ask for the ranges
 * they need, so headers can be parsed without loading the data.
 */
export interface ByteSource {
  /** File name or URL, for error messages. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; fails with a FormatError past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the file handle, if any. */
  close(): Promise<void>;
}

/** What a reader accepts: a source, or bytes in memory, or a Blob/File. */
export type ByteInput = ByteSource | ArrayBuffer | Uint8Array | Blob;

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new FormatError(`unexpected end of file: wanted ${length} bytes at offset ${offset}, the file has ${size}`, {
      file: name,
    });
  }
}

/** A source over bytes already in memory (no copy: `read` returns views). */
export function bytesSource(data: ArrayBuffer | Uint8Array, name = '<bytes>'): ByteSource {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      checkRange(name, bytes.byteLength, offset, length);
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
}

/** A source over a Blob or File (browsers, Node 20): reads slices on demand. */
export function blobSource(blob: Blob, name?: string): ByteSource {
  const label = name ?? ((blob as { name?: string }).name || '<blob>');
  return {
    name: label,
    size: blob.size,
    async read(offset, length) {
      checkRange(label, blob.size, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
    async close() {},
  };
}

/** True when `x` looks like a {@link ByteSource}. */
export function isByteSource(x: unknown): x is ByteSource {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as ByteSource).read === 'function' &&
    typeof (x as ByteSource).size === 'number'
  );
}

/** Turns any {@link ByteInput} into a {@link ByteSource}. */
export function toByteSource(input: ByteInput, name?: string): ByteSource {
  if (isByteSource(input)) return input;
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return bytesSource(input, name);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input, name);
  throw new FormatError('expected an ArrayBuffer, Uint8Array, Blob/File or ByteSource');
}
