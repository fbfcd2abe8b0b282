/**
 * The playground's state (reactive, shared by its components) and the actions that start the
 * backend and load models. The worker client lives here, outside Vue's reactivity.
 */
import { reactive } from 'vue';
import type { BackendRequest } from '@titok/core';
import bundled from './bundled-models.json';
import { PlaygroundClient } from './client';
import type { EncodeResult, InitResult, ModelInfo, ModelRole, ModelSourceSpec, RgbImage, WorkerEvent } from './protocol';

export interface BundledModel {
  id: string;
  label: string;
  description: string;
  tokenizer?: string;
  generator?: string;
  samples: string[];
  /** 'model': the names the generator gives (its config's, or ImageNet's); or a list to show instead. */
  classNames: 'model' | string[];
}

/** The bundled models (prepared at build time by scripts/prepare-assets.mjs). */
export const BUNDLED: { default: string; models: BundledModel[] } = bundled as { default: string; models: BundledModel[] };

export interface Slot {
  name: string;
  /** Tokenizations finished (the tests wait on it). */
  runs: number;
  /** Object URL of the original file, for <img>. */
  url?: string;
  blob?: Blob;
  busy: boolean;
  result?: EncodeResult;
  error?: string;
  /** VQ: tokenize with the code search (better reconstructions, many decodes). */
  search: boolean;
}

export interface Progress {
  status: string;
  file?: string;
  progress?: number;
  loaded?: number;
  total?: number;
}

const emptySlot = (): Slot => ({ name: '', busy: false, runs: 0, search: false });

export const state = reactive({
  /** Resolved against the page by the component (the site's base URL). */
  siteBase: '/',
  backend: {
    request: 'auto' as BackendRequest,
    threads: 0,
    status: 'idle' as 'idle' | 'starting' | 'ready' | 'error',
    init: undefined as InitResult | undefined,
    error: undefined as string | undefined,
  },
  pageIsolated: false,
  bundledId: BUNDLED.default,
  models: {
    tokenizer: undefined as ModelInfo | undefined,
    generator: undefined as ModelInfo | undefined,
    loading: undefined as ModelRole | undefined,
    progress: undefined as Progress | undefined,
    error: undefined as string | undefined,
    classNames: [] as string[],
  },
  slots: { a: emptySlot(), b: emptySlot() },
});

let client: PlaygroundClient | undefined;
/** What was loaded, to load it again after a backend change. */
const loaded: Partial<Record<ModelRole, { spec: ModelSourceSpec; classNames: BundledModel['classNames'] }>> = {};

export function worker(): PlaygroundClient {
  if (!client) throw new Error('the playground has not started');
  return client;
}

export function bundledModel(id = state.bundledId): BundledModel {
  return BUNDLED.models.find((m) => m.id === id) ?? BUNDLED.models[0]!;
}

export function siteUrl(path: string): string {
  return new URL(`${state.siteBase.replace(/\/$/, '')}/${path.replace(/^\//, '')}`, location.href).href;
}

export function bundledSources(id = state.bundledId): Partial<Record<ModelRole, ModelSourceSpec>> {
  const m = bundledModel(id);
  const url = (part: ModelRole) => ({ kind: 'url' as const, url: siteUrl(`models/${m.id}/${part}/model.json`) });
  return { ...(m.tokenizer ? { tokenizer: url('tokenizer') } : {}), ...(m.generator ? { generator: url('generator') } : {}) };
}

export function sampleUrls(id = state.bundledId): { name: string; url: string }[] {
  return bundledModel(id).samples.map((s) => {
    const name = s.split('/').pop()!;
    return { name, url: siteUrl(`samples/${id}/${name}`) };
  });
}

function message(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

/** Stops the worker (leaving the page): its models are reloaded by the next {@link startBackend}. */
export function stopBackend(): void {
  client?.terminate();
  client = undefined;
  state.backend.status = 'idle';
}

/** (Re)starts the worker on the chosen backend, then reloads the models and images it had. */
export async function startBackend(): Promise<void> {
  client?.terminate();
  client = new PlaygroundClient();
  // what the old worker computed is gone with it: show it being redone
  state.models.tokenizer = undefined;
  state.models.generator = undefined;
  for (const slot of Object.values(state.slots)) slot.result = undefined;
  state.backend.status = 'starting';
  state.backend.error = undefined;
  state.backend.init = undefined;
  try {
    state.backend.init = await client.init({
      backend: state.backend.request,
      threads: state.backend.threads > 0 ? state.backend.threads : undefined,
      wasmPaths: siteUrl('wasm/'),
    });
    state.backend.status = 'ready';
  } catch (e) {
    state.backend.status = 'error';
    state.backend.error = message(e);
    return;
  }
  for (const role of ['tokenizer', 'generator'] as const) {
    const was = loaded[role];
    if (was) await loadModel(role, was.spec, was.classNames);
  }
  await Promise.all((['a', 'b'] as const).filter((k) => state.slots[k].blob).map((k) => tokenize(k)));
}

function onProgress(e: WorkerEvent): void {
  if (e.kind === 'progress') state.models.progress = { status: e.status, file: e.file, progress: e.progress, loaded: e.loaded, total: e.total };
}

/** Loads a tokenizer or generator; `classNames` overrides the names a generator gives its classes. */
export async function loadModel(role: ModelRole, spec: ModelSourceSpec, classNames: BundledModel['classNames'] = 'model'): Promise<boolean> {
  state.models.loading = role;
  state.models.error = undefined;
  state.models.progress = { status: 'initiate' };
  try {
    const info = await worker().load({ role, source: spec }, onProgress);
    state.models[role] = info;
    loaded[role] = { spec, classNames };
    if (role === 'generator') {
      state.models.classNames = Array.isArray(classNames) ? classNames : (info.classNames ?? []);
    }
    return true;
  } catch (e) {
    state.models.error = `${role}: ${message(e)}`;
    return false;
  } finally {
    state.models.loading = undefined;
    state.models.progress = undefined;
  }
}

/** Loads the bundled tokenizer and generator. */
export async function loadBundled(id = state.bundledId): Promise<void> {
  state.bundledId = id;
  const sources = bundledSources(id);
  for (const role of ['tokenizer', 'generator'] as const) {
    const spec = sources[role];
    if (spec && !(await loadModel(role, spec, bundledModel(id).classNames))) return;
  }
}

export function setImage(key: 'a' | 'b', blob: Blob, name: string): void {
  const slot = state.slots[key];
  if (slot.url) URL.revokeObjectURL(slot.url);
  slot.blob = blob;
  slot.name = name;
  slot.url = URL.createObjectURL(blob);
  slot.result = undefined;
  slot.error = undefined;
}

/** Tokenizes the image of a slot. */
export async function tokenize(key: 'a' | 'b'): Promise<void> {
  const slot = state.slots[key];
  if (!slot.blob || !state.models.tokenizer) return;
  slot.busy = true;
  slot.error = undefined;
  try {
    slot.result = await worker().encode(slot.blob, slot.search && state.models.tokenizer.kind === 'vq');
  } catch (e) {
    slot.error = message(e);
  } finally {
    slot.busy = false;
    slot.runs++;
  }
}

/** Turns a slot's code search on or off, and tokenizes its image again. */
export async function setSearch(key: 'a' | 'b', on: boolean): Promise<void> {
  state.slots[key].search = on;
  await tokenize(key);
}

export async function useImage(key: 'a' | 'b', blob: Blob, name: string): Promise<void> {
  setImage(key, blob, name);
  await tokenize(key);
}

export async function useSample(key: 'a' | 'b', url: string, name: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  await useImage(key, await res.blob(), name);
}

/** A blank image of the right size, for results that are not there yet. */
export function blank(size: number): RgbImage {
  return { data: new Uint8Array(size * size * 3).fill(240), width: size, height: size };
}
