/**
 * Node only: WebGPU through the optional npm package `webgpu` (Google's Dawn as a Node addon).
 * Browser bundles replace this file with `node-webgpu-stub.ts` (package.json `browser` field)
 * and never import it anyway (the caller checks for Node first).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GpuAdapterLike, GpuLike } from './gpu-types.js';

/** Debian's chromium package installs this SwiftShader (software Vulkan) driver. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface Dawn {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

let dawn: Dawn | undefined;
let installed: { gpu: GpuLike; ownNavigator: boolean } | undefined;

function dawnBinaryPath(pkgDir: string): string {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return path.join(pkgDir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/** Loads Dawn from the npm `webgpu` package, or explains why it cannot. */
async function loadDawn(): Promise<Dawn> {
  if (dawn) return dawn;
  try {
    if (typeof require === 'function') {
      // CommonJS (jest, CommonJS bundles): the package is ESM-only, so open its addon directly.
      const pkgDir = path.dirname(require.resolve('webgpu/package.json'));
      dawn = require(dawnBinaryPath(pkgDir)) as Dawn;
    } else {
      dawn = (await import('webgpu')) as unknown as Dawn;
    }
  } catch (e) {
    const code = (e as { code?: string })?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error("the optional npm package 'webgpu' (Dawn for Node) is not installed");
    }
    throw new Error(`the npm package 'webgpu' could not load Dawn: ${(e as Error)?.message ?? e}`);
  }
  return dawn!;
}

function icdIsSet(): boolean {
  return !!(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES);
}

/** Result of {@link nodeWebGPU}. */
export interface NodeWebGPU {
  gpu: GpuLike;
  adapter: GpuAdapterLike | null;
  /** Set when SwiftShader was enabled through `VK_ICD_FILENAMES`. */
  swiftShader: boolean;
  /** Why there is no adapter. */
  reason?: string;
}

/**
 * Opens Dawn and asks it for an adapter. With `allowSoftwareDriver`, when the system's Vulkan
 * drivers give none and no driver list is set in the environment, it retries with the
 * SwiftShader driver of Debian's chromium package (`VK_ICD_FILENAMES`).
 */
export async function nodeWebGPU(options: {
  flags?: string[];
  powerPreference?: 'high-performance' | 'low-power';
  allowSoftwareDriver?: boolean;
}): Promise<NodeWebGPU> {
  const d = await loadDawn();
  for (const [k, v] of Object.entries(d.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const request = { powerPreference: options.powerPreference ?? 'high-performance' };
  let gpu = d.create(options.flags ?? []);
  let adapter = await gpu.requestAdapter(request);
  let swiftShader = false;
  if (!adapter && options.allowSoftwareDriver && !icdIsSet() && fs.existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    swiftShader = true;
    gpu = d.create(options.flags ?? []);
    adapter = await gpu.requestAdapter(request);
  }
  let reason: string | undefined;
  if (!adapter) {
    const drivers = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
    reason = drivers
      ? `Dawn (npm 'webgpu') found no usable adapter with the Vulkan driver(s) ${drivers}`
      : `Dawn (npm 'webgpu') found no usable Vulkan adapter` +
        (fs.existsSync(SWIFTSHADER_ICD)
          ? ''
          : ` (no GPU driver, and no software driver at ${SWIFTSHADER_ICD}: install Debian's chromium and libvulkan1)`);
  }
  return { gpu, adapter, swiftShader, reason };
}

/**
 * Makes `navigator.gpu` the given Dawn instance, which `@tensorflow/tfjs-backend-webgpu` needs
 * before it is imported (it registers itself only when `navigator.gpu` exists).
 */
export function installNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    installed = { gpu, ownNavigator: true };
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    installed = { gpu, ownNavigator: false };
  }
}

/**
 * Drops the references to Dawn that keep a Node process alive (Dawn runs a background thread
 * as long as its instance is reachable).
 */
export function uninstallNavigatorGpu(): void {
  if (!installed) return;
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (installed.ownNavigator) delete (globalThis as Record<string, unknown>).navigator;
  else if (g.navigator) delete g.navigator.gpu;
  installed = undefined;
}
