/**
 * Browser stand-in for `node-webgpu.ts` (mapped by the package.json `browser` field), so that
 * bundles never see Node's modules or the npm `webgpu` addon.
 */
import type { GpuAdapterLike, GpuLike } from './gpu-types.js';

export const SWIFTSHADER_ICD = '';

export interface NodeWebGPU {
  gpu: GpuLike;
  adapter: GpuAdapterLike | null;
  swiftShader: boolean;
  reason?: string;
}

export async function nodeWebGPU(_options: unknown): Promise<NodeWebGPU> {
  throw new Error('Node WebGPU is not available in a browser build');
}

export function installNavigatorGpu(_gpu: GpuLike): void {}

export function uninstallNavigatorGpu(): void {}
