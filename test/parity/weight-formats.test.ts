/**
 * Every float32 weight file of a fixture (safetensors, PyTorch zip, PyTorch legacy, a converted
 * tfjs folder) gives the same state dict bit for bit, so the parity suites may run the slow
 * backends from one format.
 */
import { toFloat32 } from '@titok/core';
import { weightFormats, readWeights } from './harness.js';

const MODELS = ['titok_tiny_vq_legacy', 'titok_tiny_vq_pixel', 'titok_tiny_vae', 'maskgit_vqgan_tiny'];

describe.each(MODELS)('%s weight files', (model) => {
  const [reference, ...others] = weightFormats(model).filter((f) => f.kind === 'float32');

  it('compares with model.safetensors', () => {
    expect(reference!.name).toBe('model.safetensors');
  });

  it.each(others.map((f) => [f.name, f] as const))('%s holds the same keys, shapes and float32 bits as model.safetensors', async (_n, format) => {
    const a = await readWeights(model, reference!);
    const b = await readWeights(model, format);
    try {
      expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
      for (const [key, ta] of a.tensors) {
        const tb = b.tensors.get(key)!;
        expect([key, ...tb.shape]).toEqual([key, ...ta.shape]);
        const va = new Uint32Array(toFloat32(await ta.read(), ta.dtype, key).buffer);
        const vb = new Uint32Array(toFloat32(await tb.read(), tb.dtype, key).buffer);
        if (!va.every((v, i) => v === vb[i])) throw new Error(`${format.file}: ${key} differs from model.safetensors`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
