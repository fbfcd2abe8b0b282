/**
 * The page's side of the worker: typed requests that resolve with the worker's result and
 * stream its events. Changing the backend replaces the worker (a fresh TensorFlow.js).
 */
import type {
  DecodeResult,
  EncodeResult,
  GenerateRequest,
  GenerateResult,
  InitRequest,
  InitResult,
  InterpolateRequest,
  InterpolateResult,
  LoadRequest,
  ModelInfo,
  WorkerEvent,
  WorkerMessage,
  WorkerRequest,
} from './protocol';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onEvent?: (e: WorkerEvent) => void };

export class PlaygroundClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'titok-playground' });
    this.worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'event') {
        p.onEvent?.(m.event);
        return;
      }
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.result);
      else p.reject(new Error(m.error));
    };
    this.worker.onerror = (ev) => {
      const err = new Error(`the worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private call<T>(request: WorkerRequest, onEvent?: (e: WorkerEvent) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent });
      this.worker.postMessage({ id, request });
    });
  }

  init(r: Omit<InitRequest, 'type'>): Promise<InitResult> {
    return this.call({ type: 'init', ...r });
  }

  load(r: Omit<LoadRequest, 'type'>, onEvent: (e: WorkerEvent) => void): Promise<ModelInfo> {
    return this.call({ type: 'load', ...r }, onEvent);
  }

  encode(image: Blob, search = false): Promise<EncodeResult> {
    return this.call({ type: 'encode', image, search });
  }

  decode(tokens: number[]): Promise<DecodeResult> {
    return this.call({ type: 'decode', tokens });
  }

  interpolate(r: Omit<InterpolateRequest, 'type'>): Promise<InterpolateResult> {
    return this.call({ type: 'interpolate', ...r });
  }

  generate(r: Omit<GenerateRequest, 'type'>, onEvent: (e: WorkerEvent) => void): Promise<GenerateResult> {
    return this.call({ type: 'generate', ...r }, onEvent);
  }

  cancel(): Promise<void> {
    return this.call({ type: 'cancel' });
  }

  terminate(): void {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('the worker was replaced'));
    this.pending.clear();
  }
}
