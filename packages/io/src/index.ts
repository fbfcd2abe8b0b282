/**
 * @titok/io: bytes in, state dicts out, and back. Safe readers for safetensors and PyTorch
 * checkpoints (nothing from a file is ever executed), writers for safetensors and the
 * TensorFlow.js weights format, and config parsing. Works in browsers and Node; file-path
 * helpers for Node live in `@titok/io/node`.
 *
 * @packageDocumentation
 */
export { bytesSource, blobSource, toByteSource, isByteSource } from './source/byte-source.js';
export type { ByteSource, ByteInput } from './source/byte-source.js';
export { readSafetensors } from './formats/safetensors-reader.js';
