/**
 * The playground's Web Worker: everything that touches TensorFlow.js runs here, with the same
 * packages a user installs (@titok/core, @titok/io through @titok/tokenizer, @titok/generator),
 * so the page stays responsive. Requests run one at a time, in order; `cancel` stops a
 * generation between steps.
 */
import { describeBackend, selectBackend } from '@titok/core';
import { TitokGenerator } from '@titok/generator';
import { TiTok } from '@titok/tokenizer';
import { decodeTokens, encodeImage, generate, interpolate } from './worker-ops';
import type { InitRequest, InitResult, LoadRequest, ModelInfo, WorkerEvent, WorkerMessage, WorkerRequest } from './protocol';

/** What this file uses of the worker's global scope (the DOM typings describe a window). */
interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((ev: MessageEvent<{ id: number; request: WorkerRequest }>) => void) | null;
  crossOriginIsolated: boolean;
  navigator: Navigator;
}
const scope = self as unknown as WorkerScope;

interface Models {
  tokenizer?: TiTok;
  generator?: TitokGenerator;
}
const models: Models = {};
let running: AbortController | undefined;
let queue: Promise<unknown> = Promise.resolve();

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Buffers of the images in a result, moved to the page instead of copied. */
function transferables(value: unknown, out: Transferable[] = [], depth = 0): Transferable[] {
  if (depth > 4 || value === null || typeof value !== 'object') return out;
  if (value instanceof Uint8Array) {
    if (!out.includes(value.buffer)) out.push(value.buffer);
    return out;
  }
  for (const v of Array.isArray(value) ? value : Object.values(value)) transferables(v, out, depth + 1);
  return out;
}

async function init(req: InitRequest): Promise<InitResult> {
  const t0 = performance.now();
  const info = await selectBackend({ backend: req.backend, wasmPaths: req.wasmPaths, threads: req.threads });
  const wasm = performance
    .getEntriesByType('resource')
    .map((e) => e.name)
    .filter((n) => n.endsWith('.wasm'));
  return {
    info,
    description: describeBackend(info),
    crossOriginIsolated: scope.crossOriginIsolated,
    webgpuAvailable: 'gpu' in scope.navigator,
    hardwareConcurrency: scope.navigator.hardwareConcurrency,
    wasmBinary: info.backend === 'wasm' ? wasm[wasm.length - 1]?.split('/').pop() : undefined,
    ms: performance.now() - t0,
  };
}

async function load(req: LoadRequest, emit: (e: WorkerEvent) => void): Promise<ModelInfo> {
  const t0 = performance.now();
  const progress_callback = (e: { status: string; file?: string; loaded?: number; total?: number; progress?: number }) =>
    emit({ kind: 'progress', status: e.status, file: e.file, loaded: e.loaded, total: e.total, progress: e.progress });
  let input: string | Blob;
  let options: Record<string, unknown> = {};
  let name: string;
  if (req.source.kind === 'url') {
    input = req.source.url;
    name = req.source.url;
  } else {
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(await req.source.config.text());
    } catch (e) {
      throw new Error(`${req.source.config.name}: not valid JSON (${(e as Error).message})`);
    }
    input = req.source.weights;
    name = req.source.weights.name;
    options = { config, name };
  }
  if (req.role === 'tokenizer') {
    const titok = await TiTok.fromPretrained(input, { ...options, progress_callback });
    models.tokenizer?.dispose();
    models.tokenizer = titok;
    const c = titok.config;
    return {
      role: 'tokenizer',
      name,
      kind: c.quantizeMode,
      numTokens: titok.numTokens,
      codebookSize: titok.codebookSize,
      imageSize: titok.imageSize,
      parameters: titok.model.numParameters(),
      ms: performance.now() - t0,
    };
  }
  const gen = await TitokGenerator.fromPretrained(input, { ...options, progress_callback });
  models.generator?.dispose();
  models.generator = gen;
  const s = gen.config.sampling;
  return {
    role: 'generator',
    name,
    kind: 'generator',
    numTokens: gen.numTokens,
    codebookSize: gen.codebookSize,
    imageSize: 0,
    numClasses: gen.numClasses,
    classNames: Array.from({ length: gen.numClasses }, (_, i) => gen.className(i) ?? `class ${i}`),
    defaults: { numSteps: s.numSteps, guidanceScale: s.guidanceScale, guidanceDecay: s.guidanceDecay, randomizeTemperature: s.randomizeTemperature },
    parameters: gen.network.numParameters(),
    ms: performance.now() - t0,
  };
}

function need<K extends keyof Models>(key: K): NonNullable<Models[K]> {
  const m = models[key];
  if (!m) throw new Error(`load a ${key} first`);
  return m as NonNullable<Models[K]>;
}

async function handle(req: WorkerRequest, emit: (e: WorkerEvent) => void): Promise<unknown> {
  switch (req.type) {
    case 'init':
      return init(req);
    case 'load':
      return load(req, emit);
    case 'encode':
      return encodeImage(need('tokenizer'), req.image, req.search);
    case 'decode':
      return decodeTokens(need('tokenizer'), req.tokens);
    case 'interpolate':
      return interpolate(need('tokenizer'), req);
    case 'generate': {
      running = new AbortController();
      try {
        return await generate(need('generator'), models.tokenizer, req, running.signal, emit);
      } finally {
        running = undefined;
      }
    }
    default:
      throw new Error(`unknown request ${(req as { type: string }).type}`);
  }
}

scope.onmessage = (ev: MessageEvent<{ id: number; request: WorkerRequest }>) => {
  const { id, request } = ev.data;
  if (request.type === 'cancel') {
    running?.abort(new Error('cancelled'));
    post({ id, type: 'result', result: null });
    return;
  }
  const emit = (event: WorkerEvent) => post({ id, type: 'event', event }, transferables(event));
  queue = queue.then(async () => {
    try {
      const result = await handle(request, emit);
      post({ id, type: 'result', result }, transferables(result));
    } catch (e) {
      post({ id, type: 'error', error: (e as Error)?.message ?? String(e) });
    }
  });
};
