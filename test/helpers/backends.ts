/**
 * Backends for jest tests: `useTestBackend('cpu' | 'wasm' | 'webgpu')` activates one through
 * `selectBackend` (so tests run the same setup code users do) and returns its report.
 *
 * WebGPU in Node comes from the npm `webgpu` package (Dawn). On a machine without a GPU, Dawn
 * needs a software Vulkan driver: SwiftShader from Debian's `chromium` package, chosen with
 * `VK_ICD_FILENAMES` (and `libvulkan1`, the Vulkan loader). `selectBackend` sets that variable
 * itself when the system drivers give no adapter, but jest hands each test file a *copy* of
 * `process.env`, which the Vulkan loader inside Dawn never sees; so this helper sets it in the
 * real environment (the main context's `process`). SwiftShader runs at ~0.25 GFLOP/s: keep
 * webgpu tests to the tiny models.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vm from 'node:vm';
import { BackendError, releaseBackend, selectBackend } from '@titok/core';
import type { BackendInfo, BackendName } from '@titok/core';

/** Debian chromium's SwiftShader Vulkan driver. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The real process environment (jest's `process.env` is a per-file copy). */
export const realEnv: NodeJS.ProcessEnv = (vm.runInThisContext('process') as NodeJS.Process).env;

/** Sets a variable in the real environment and in jest's copy. */
export function setRealEnv(name: string, value: string | undefined): void {
  for (const env of [realEnv, process.env]) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
}

/**
 * Activates `name` for the calling test file. For 'webgpu' it first tries the system's
 * Vulkan drivers and then SwiftShader; a machine with neither fails with the BackendError
 * that says why.
 */
export async function useTestBackend(name: BackendName): Promise<BackendInfo> {
  if (name !== 'webgpu') return selectBackend({ backend: name, env: {} });
  // Mesa prints "XDG_RUNTIME_DIR is invalid" for every probe of a headless machine.
  if (!realEnv.XDG_RUNTIME_DIR) setRealEnv('XDG_RUNTIME_DIR', os.tmpdir());
  try {
    return await selectBackend({ backend: 'webgpu', env: {} });
  } catch (e) {
    if (!(e instanceof BackendError) || realEnv.VK_ICD_FILENAMES || realEnv.VK_DRIVER_FILES || !fs.existsSync(SWIFTSHADER_ICD)) throw e;
    setRealEnv('VK_ICD_FILENAMES', SWIFTSHADER_ICD);
    return selectBackend({ backend: 'webgpu', env: {} });
  }
}

/** Releases the WebGPU device (and Dawn) of {@link useTestBackend}; call it in afterAll. */
export async function releaseTestBackend(): Promise<void> {
  await releaseBackend();
}
