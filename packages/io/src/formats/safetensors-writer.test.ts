import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, dtypeSize } from '@titok/core';
import type { DType } from '@titok/core';
import { readSafetensors } from './safetensors-reader.js';
import { encodeSafetensors } from './safetensors-writer.js';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');
const DTYPES: DType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

describe('safetensors writer', () => {
  it('round-trips every dtype, shapes (scalar, empty) and metadata through the reader', async () => {
    const tensors = DTYPES.map((dtype, i) => {
      const shape = i === 0 ? [] : i === 1 ? [0, 3] : [2, i];
      const n = shape.reduce((a, b) => a * b, 1);
      return { name: `t.${dtype}`, dtype, shape, data: Uint8Array.from({ length: n * dtypeSize(dtype) }, (_, k) => (k * 31 + i) & 0xff) };
    });
    const bytes = await encodeSafetensors(tensors, { metadata: { format: 'pt' } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const sd = await readSafetensors(bytes);
    expect(sd.metadata).toEqual({ format: 'pt' });
    for (const t of tensors) {
      const r = sd.tensors.get(t.name)!;
      expect([r.dtype, r.shape]).toEqual([t.dtype, t.shape]);
      expect(await r.read()).toEqual(t.data);
    }
  });

  it('writes a fixture model byte for byte as the reference writer did', async () => {
    const file = path.join(FIXTURES, 'titok_tiny_vq_pixel/model.safetensors');
    const original = new Uint8Array(fs.readFileSync(file));
    expect(await encodeSafetensors(await readSafetensors(original), { metadata: { format: 'pt' } })).toEqual(original);
  });

  it('refuses a byte count that does not match the shape, and repeated names', async () => {
    await expect(encodeSafetensors([{ name: 'a', dtype: 'F32', shape: [3], data: new Uint8Array(8) }])).rejects.toThrow(FormatError);
    const t = { name: 'a', dtype: 'U8' as const, shape: [1], data: new Uint8Array(1) };
    await expect(encodeSafetensors([t, t])).rejects.toThrow(/repeated/);
  });
});
