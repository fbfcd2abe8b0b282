import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors/index.js';
import { isNode } from './env.js';
import type { GpuAdapterLike, GpuLike } from './gpu-types.js';
import type { AdapterDescription } from './types.js';

/** Describes an adapter from its `info` (or the older `requestAdapterInfo()`). */
export async function describeAdapter(adapter: GpuAdapterLike): Promise<AdapterDescription> {
  let info = adapter.info;
  if (!info && typeof adapter.requestAdapterInfo === 'function') {
    info = await adapter.requestAdapterInfo().catch(() => undefined);
  }
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: !!(info?.isFallbackAdapter ?? adapter.isFallbackAdapter),
    shaderF16: adapter.features.has('shader-f16'),
  };
}

/** One line naming an adapter, for reports and errors. */
export function adapterName(a: AdapterDescription): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  return `${name}${a.description ? ` (${a.description})` : ''}`;
}

/** Result of {@link findAdapter}. */
export interface AdapterProbe {
  adapter: AdapterDescription | null;
  /** Why there is no adapter. */
  reason?: string;
  /** Node: the Dawn instance, to install as `navigator.gpu` when WebGPU is chosen. */
  nodeGpu?: GpuLike;
}

/**
 * Looks for a WebGPU adapter: `navigator.gpu` in browsers, Dawn (npm `webgpu`) in Node.
 * Never throws: a missing adapter comes back with the reason.
 */
export async function findAdapter(options: {
  powerPreference?: 'high-performance' | 'low-power';
  allowSoftwareDriver?: boolean;
  dawnFlags?: string[];
}): Promise<AdapterProbe> {
  try {
    const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
    if (nav?.gpu) {
      const a = await nav.gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
      if (a) return { adapter: await describeAdapter(a) };
      if (!isNode()) return { adapter: null, reason: 'navigator.gpu.requestAdapter() returned no adapter' };
    }
    if (!isNode()) return { adapter: null, reason: 'this browser has no WebGPU (navigator.gpu is undefined)' };
    const { nodeWebGPU } = await import('./node-webgpu.js');
    const r = await nodeWebGPU({
      flags: options.dawnFlags,
      powerPreference: options.powerPreference,
      allowSoftwareDriver: options.allowSoftwareDriver,
    });
    if (!r.adapter) return { adapter: null, reason: r.reason };
    return { adapter: await describeAdapter(r.adapter), nodeGpu: r.gpu };
  } catch (e) {
    return { adapter: null, reason: (e as Error)?.message ?? String(e) };
  }
}

interface GpuDeviceAdapter extends GpuAdapterLike {
  readonly limits: Record<string, number>;
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}

/**
 * tfjs' own webgpu factory, registered again when it is missing: after {@link releaseWebGPU}
 * (tf.removeBackend drops the factory) or when the module was imported before `navigator.gpu`.
 */
function registerWebGPUFactory(WebGPUBackend: new (device: unknown, info?: unknown) => tf.KernelBackend): void {
  tf.registerBackend(
    'webgpu',
    async () => {
      const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
      const powerPreference = tf.env().get('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance';
      const adapter = (await gpu?.requestAdapter({ powerPreference })) as GpuDeviceAdapter | null | undefined;
      if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter');
      const limits = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: Object.fromEntries(
          [
            'maxComputeWorkgroupStorageSize',
            'maxComputeWorkgroupsPerDimension',
            'maxStorageBufferBindingSize',
            'maxBufferSize',
            'maxComputeWorkgroupSizeX',
            'maxComputeInvocationsPerWorkgroup',
          ].map((k) => [k, limits[k]!]),
        ),
      });
      return new WebGPUBackend(device, adapter.info);
    },
    3,
  );
}

/**
 * Registers (if needed) and activates tfjs' webgpu backend. In Node, `nodeGpu` becomes
 * `navigator.gpu` first: `@tensorflow/tfjs-backend-webgpu` registers itself only when it exists.
 */
export async function activateWebGPU(
  adapter: AdapterDescription,
  options: { nodeGpu?: GpuLike; powerPreference?: 'high-performance' | 'low-power' } = {},
): Promise<void> {
  if (options.nodeGpu) {
    const { installNavigatorGpu } = await import('./node-webgpu.js');
    installNavigatorGpu(options.nodeGpu);
  }
  const mod = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as {
    WebGPUBackend?: new (device: unknown, info?: unknown) => tf.KernelBackend;
  };
  // registered by the import above
  tf.env().set('WEBGPU_USE_LOW_POWER_GPU', options.powerPreference === 'low-power');
  if (!tf.findBackendFactory('webgpu')) {
    if (!mod.WebGPUBackend) throw new BackendError('@tensorflow/tfjs-backend-webgpu did not load (no WebGPUBackend export)');
    registerWebGPUFactory(mod.WebGPUBackend);
  }
  let ok = false;
  let cause: unknown;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (e) {
    cause = e;
  }
  if (!ok) {
    throw new BackendError(
      `the webgpu backend failed to start on the adapter ${adapterName(adapter)}` +
        (cause ? `: ${(cause as Error)?.message ?? cause}` : ' (tf.setBackend returned false; see the warning above)'),
      { cause },
    );
  }
}

/** Disposes tfjs' webgpu backend, destroys its device and lets Node exit (Dawn's thread). */
export async function releaseWebGPU(): Promise<void> {
  const backend = tf.engine().registry.webgpu as unknown as { device?: { destroy?: () => void } } | undefined;
  if (backend) {
    tf.removeBackend('webgpu');
    try {
      backend.device?.destroy?.();
    } catch {
      // already destroyed
    }
  }
  if (isNode()) {
    const { uninstallNavigatorGpu } = await import('./node-webgpu.js');
    uninstallNavigatorGpu();
  }
}
