import * as tf from '@tensorflow/tfjs-core';
import { BackendError, InputError } from '../errors/index.js';
import { SWIFTSHADER_ICD } from './node-webgpu.js';
import { describeBackend, releaseBackend, selectBackend } from './select-backend.js';
import * as fs from 'node:fs';
import * as vm from 'node:vm';

// Jest gives each test file a copy of process.env; the Vulkan loader inside Dawn reads the real
// one, which the main context's `process` holds.
const realEnv = (vm.runInThisContext('process') as NodeJS.Process).env;
const savedIcd = realEnv.VK_ICD_FILENAMES;

function setIcd(value: string): void {
  realEnv.VK_ICD_FILENAMES = value;
  process.env.VK_ICD_FILENAMES = value;
}

afterEach(() => {
  for (const env of [realEnv, process.env]) {
    if (savedIcd === undefined) delete env.VK_ICD_FILENAMES;
    else env.VK_ICD_FILENAMES = savedIcd;
  }
});

afterAll(async () => {
  await releaseBackend();
});

describe('selectBackend', () => {
  it('refuses an unknown backend name, from the option or from TITOK_BACKEND', async () => {
    await expect(selectBackend({ backend: 'tpu' as never, env: {} })).rejects.toThrow(InputError);
    await expect(selectBackend({ backend: 'tpu' as never, env: {} })).rejects.toThrow(
      "backend 'tpu' is not a backend (expected one of: auto, webgpu, wasm, cpu)",
    );
    await expect(selectBackend({ env: { TITOK_BACKEND: 'gpu' } })).rejects.toThrow(/^TITOK_BACKEND 'gpu' is not a backend/);
  });

  it('takes TITOK_BACKEND over auto, and an explicit option over TITOK_BACKEND', async () => {
    const fromEnv = await selectBackend({ env: { TITOK_BACKEND: 'cpu' } });
    expect(fromEnv).toMatchObject({ backend: 'cpu', requested: 'cpu', source: 'env' });
    expect(tf.getBackend()).toBe('cpu');
    const explicit = await selectBackend({ backend: 'wasm', env: { TITOK_BACKEND: 'cpu' } });
    expect(explicit).toMatchObject({ backend: 'wasm', requested: 'wasm', source: 'option' });
    expect(tf.getBackend()).toBe('wasm');
    const autoEnv = await selectBackend({ backend: 'auto', env: { TITOK_BACKEND: 'CPU ' } });
    expect(autoEnv).toMatchObject({ backend: 'cpu', source: 'env' });
  });

  it('reports wasm with SIMD and one thread in Node, from the package files', async () => {
    const info = await selectBackend({ backend: 'wasm', env: {} });
    expect(info).toMatchObject({ backend: 'wasm', simd: true, threads: 1, skipped: [] });
    expect(describeBackend(info)).toBe('wasm (SIMD, 1 thread)');
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
  });

  it('auto without any WebGPU adapter picks wasm and says why', async () => {
    setIcd('/nonexistent/no_driver_icd.json');
    await selectBackend({ backend: 'cpu', env: {} });
    const info = await selectBackend({ env: {} });
    expect(info).toMatchObject({ backend: 'wasm', requested: 'auto', source: 'default', simd: true });
    expect(info.skipped).toHaveLength(1);
    expect(info.skipped[0]!.backend).toBe('webgpu');
    expect(info.skipped[0]!.reason).toMatch(/^no WebGPU adapter: Dawn \(npm 'webgpu'\) found no usable adapter/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it("an explicit 'webgpu' without an adapter is a BackendError saying why", async () => {
    setIcd('/nonexistent/no_driver_icd.json');
    const p = selectBackend({ backend: 'webgpu', env: {} });
    await expect(p).rejects.toThrow(BackendError);
    await expect(selectBackend({ backend: 'webgpu', env: {} })).rejects.toThrow(
      "backend 'webgpu' is not available: no WebGPU adapter: Dawn (npm 'webgpu') found no usable adapter with the Vulkan driver(s) /nonexistent/no_driver_icd.json",
    );
  });

  // Needs Debian's chromium (SwiftShader) and libvulkan1, as .ci/run installs.
  it('auto passes over a software adapter unless allowed; explicit webgpu takes it', async () => {
    expect(fs.existsSync(SWIFTSHADER_ICD)).toBe(true);
    setIcd(SWIFTSHADER_ICD);
    await selectBackend({ backend: 'cpu', env: {} });
    const auto = await selectBackend({ env: {} });
    expect(auto.backend).toBe('wasm');
    expect(auto.skipped[0]!.reason).toMatch(/only a software \(fallback\) WebGPU adapter, google swiftshader/);

    const gpu = await selectBackend({ env: {}, allowFallbackAdapter: true });
    expect(gpu).toMatchObject({ backend: 'webgpu', requested: 'auto', skipped: [] });
    expect(gpu.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true });
    expect(typeof gpu.adapter!.shaderF16).toBe('boolean');
    expect(tf.getBackend()).toBe('webgpu');
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
    await releaseBackend();

    const explicit = await selectBackend({ backend: 'webgpu', env: {} });
    expect(explicit.backend).toBe('webgpu');
    expect(describeBackend(explicit)).toMatch(/^webgpu on google swiftshader \(SwiftShader driver [\d.]+\), fallback adapter/);
    await releaseBackend();
  });
});
