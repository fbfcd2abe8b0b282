import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors/index.js';
import { processEnv, resolveRequest, silenceNodeBackendWarning } from './env.js';
import type { BackendInfo, BackendName, BackendRequest, SelectBackendOptions, SkippedBackend } from './types.js';
import { activateCpu, activateWasm } from './wasm.js';
import { activateWebGPU, adapterName, findAdapter, releaseWebGPU } from './webgpu.js';

let current: { key: string; info: BackendInfo } | undefined;

function cacheKey(requested: BackendRequest, o: SelectBackendOptions): string {
  return JSON.stringify([requested, !!o.allowFallbackAdapter, o.powerPreference ?? '', o.wasmPaths ?? '', o.threads ?? o.numThreads ?? 0]);
}

function base(backend: BackendName, requested: BackendRequest, source: BackendInfo['source'], skipped: SkippedBackend[]): BackendInfo {
  return { backend, requested, source, simd: false, threads: 1, skipped };
}

async function tryWebGPU(
  o: SelectBackendOptions,
  strict: boolean,
): Promise<{ adapter: NonNullable<BackendInfo['adapter']> } | { reason: string }> {
  const allowFallback = strict || !!o.allowFallbackAdapter;
  const probe = await findAdapter({
    powerPreference: o.powerPreference,
    allowSoftwareDriver: allowFallback,
    dawnFlags: o.dawnFlags,
  });
  if (!probe.adapter) return { reason: `no WebGPU adapter: ${probe.reason ?? 'none found'}` };
  if (probe.adapter.isFallbackAdapter && !allowFallback) {
    return {
      reason: `only a software (fallback) WebGPU adapter, ${adapterName(probe.adapter)}, which is slower than wasm (pass allowFallbackAdapter or backend 'webgpu' to use it)`,
    };
  }
  await activateWebGPU(probe.adapter, { nodeGpu: probe.nodeGpu, powerPreference: o.powerPreference });
  return { adapter: probe.adapter };
}

/**
 * Chooses and activates the TensorFlow.js backend, and reports what was chosen.
 *
 * `'auto'` (the default) takes WebGPU when a hardware adapter is available, else WASM (the SIMD
 * binary when the engine supports SIMD, threads when the page is cross-origin isolated or, in
 * Node, when `threads` / `TITOK_WASM_THREADS` asks for them), else CPU; the backends it passed over are listed with the reason in `skipped`. In Node the
 * `TITOK_BACKEND` environment variable (`auto`, `webgpu`, `wasm` or `cpu`) overrides `'auto'`,
 * and WebGPU comes from the optional npm package `webgpu` (Dawn); when no Vulkan driver gives
 * an adapter, an explicit `'webgpu'` falls back to the SwiftShader software driver of Debian's
 * chromium package (`VK_ICD_FILENAMES`), if installed.
 *
 * An explicitly requested backend that cannot start is a {@link BackendError} saying why
 * (never a silent fallback); an unknown name is an {@link InputError}. Calling it again with
 * the same request returns the active backend without re-initialising it.
 *
 * @example
 * ```ts
 * const info = await selectBackend({ backend: 'auto' });
 * console.log(describeBackend(info)); // "wasm (SIMD, 1 thread)"
 * ```
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? processEnv();
  const { requested, source } = resolveRequest(options.backend, env);
  const key = cacheKey(requested, options);
  if (current && current.key === key && tf.getBackend() === current.info.backend) return { ...current.info, source };

  const skipped: SkippedBackend[] = [];
  let info: BackendInfo;
  if (requested === 'webgpu') {
    const r = await tryWebGPU(options, true);
    if ('reason' in r) throw new BackendError(`backend 'webgpu' is not available: ${r.reason}`);
    info = { ...base('webgpu', requested, source, skipped), adapter: r.adapter };
  } else if (requested === 'wasm') {
    info = { ...base('wasm', requested, source, skipped), ...(await activateWasm({ ...options, env })) };
  } else if (requested === 'cpu') {
    await activateCpu();
    info = base('cpu', requested, source, skipped);
  } else {
    info = await selectAuto({ ...options, env }, source, skipped);
  }
  silenceNodeBackendWarning();
  current = { key, info };
  return { ...info };
}

async function selectAuto(o: SelectBackendOptions, source: BackendInfo['source'], skipped: SkippedBackend[]): Promise<BackendInfo> {
  try {
    const r = await tryWebGPU(o, false);
    if ('adapter' in r) return { ...base('webgpu', 'auto', source, skipped), adapter: r.adapter };
    skipped.push({ backend: 'webgpu', reason: r.reason });
  } catch (e) {
    skipped.push({ backend: 'webgpu', reason: (e as Error)?.message ?? String(e) });
  }
  try {
    return { ...base('wasm', 'auto', source, skipped), ...(await activateWasm(o)) };
  } catch (e) {
    skipped.push({ backend: 'wasm', reason: (e as Error)?.message ?? String(e) });
  }
  await activateCpu();
  return base('cpu', 'auto', source, skipped);
}

/** The report of the last {@link selectBackend} call, if its backend is still active. */
export function currentBackend(): BackendInfo | undefined {
  return current && tf.getBackend() === current.info.backend ? { ...current.info } : undefined;
}

/**
 * One line describing a backend report, e.g. `wasm (SIMD, 1 thread)` or
 * `webgpu on google swiftshader (SwiftShader driver 5.0.0), fallback adapter`.
 */
export function describeBackend(info: BackendInfo): string {
  if (info.backend === 'wasm') {
    return `wasm (${info.simd ? 'SIMD' : 'no SIMD'}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  }
  if (info.backend === 'webgpu' && info.adapter) {
    const a = info.adapter;
    return `webgpu on ${adapterName(a)}${a.isFallbackAdapter ? ', fallback adapter' : ''}${a.shaderF16 ? ', shader-f16' : ''}`;
  }
  return info.backend;
}

/**
 * Releases what {@link selectBackend} set up for WebGPU: disposes the webgpu backend (its
 * tensors become invalid) and, in Node, drops Dawn so that the process can exit. Other
 * backends are left as they are. Call it when done, e.g. at the end of a CLI command.
 */
export async function releaseBackend(): Promise<void> {
  await releaseWebGPU();
  if (current?.info.backend === 'webgpu') current = undefined;
}
