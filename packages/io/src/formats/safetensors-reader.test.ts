import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, toFloat32 } from '@titok/core';
import { readSafetensors } from './safetensors-reader.js';
import { fileSource } from '../source/node.js';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');

describe('readSafetensors', () => {
  it('reads the reference file with its metadata, dtypes and values', async () => {
    const sd = await readSafetensors(fs.readFileSync(path.join(FIXTURES, 'bad/valid_reference.safetensors')));
    expect([...sd.tensors.keys()].sort()).toEqual(['a.bias', 'a.weight', 'b']);
    const w = sd.tensors.get('a.weight')!;
    expect(w.dtype).toBe('F32');
    expect(w.shape).toEqual([4, 3]);
    expect(toFloat32(await w.read(), 'F32')).toHaveLength(12);
    expect(sd.tensors.get('b')!.dtype).toBe('I64');
  });

  it('reads lazily from a file on disk', async () => {
    const src = await fileSource(path.join(FIXTURES, 'titok_tiny_vq_pixel/model.safetensors'));
    const sd = await readSafetensors(src);
    expect(sd.metadata).toEqual({ format: 'pt' });
    expect(sd.tensors.get('latent_tokens')!.shape).toEqual([8, 32]);
    const bytes = await sd.tensors.get('latent_tokens')!.read();
    expect(bytes.byteLength).toBe(8 * 32 * 4);
    await sd.close();
  });

  it.each([
    ['empty.safetensors', /too short/],
    ['truncated.safetensors', /past the end|end of file/],
    ['header_too_long.safetensors', /larger than the file/],
    ['huge_header_length.safetensors', /larger than the file/],
    ['overlapping_offsets.safetensors', /overlapping/],
    ['offsets_past_end.safetensors', /past the end/],
    ['unknown_dtype.safetensors', /unknown dtype "F24"/],
    ['shape_size_mismatch.safetensors', /needs 64 bytes but data_offsets span 48/],
    ['header_not_json.safetensors', /not valid JSON/],
  ])('refuses %s with a FormatError naming the file', async (file, why) => {
    const p = path.join(FIXTURES, 'bad', file);
    const err = await readSafetensors(fs.readFileSync(p), file).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(why);
    expect(err.message.startsWith(`${file}: `)).toBe(true);
  });
});
