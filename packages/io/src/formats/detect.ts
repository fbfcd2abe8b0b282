import { FormatError } from '@titok/core';
import type { CheckpointFormat } from '@titok/core';
import type { ByteSource } from '../source/byte-source.js';
import { looksLikeTorchLegacy } from './torch/torch-legacy-reader.js';

/**
 * Tells the container format from the first bytes (never from the name alone): a zip archive
 * (`PK\3\4`) is a `torch.save` checkpoint, a protocol-2+ pickle of PyTorch's magic number a
 * legacy one, an 8-byte length followed by `{` safetensors, and JSON a tfjs `model.json`.
 * A `.safetensors` name sends anything else to the safetensors reader for a precise message.
 *
 * @throws FormatError when the bytes match no supported format
 */
export async function detectFormat(source: ByteSource): Promise<CheckpointFormat> {
  const file = source.name;
  if (source.size === 0) throw new FormatError('the file is empty', { file });
  const head = await source.read(0, Math.min(source.size, 16));
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) {
    return 'torch-zip';
  }
  if (looksLikeTorchLegacy(head)) return 'torch-legacy';
  if (head.length > 8 && head[8] === 0x7b) return 'safetensors';
  if (/\.safetensors$/i.test(file)) return 'safetensors';
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (head[i] === 0x7b && /\.json$/i.test(file)) return 'tfjs';
  throw new FormatError(
    'not a checkpoint: neither safetensors, nor a PyTorch zip archive, nor a legacy PyTorch file, nor a tfjs model.json',
    { file },
  );
}
