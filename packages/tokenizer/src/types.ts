/**
 * Shared types of @titok/tokenizer's public API.
 */
import type { BackendRequest } from '@titok/core';
import type { ProgressInfo } from '@titok/io';

/** A step of copying weights into a model. */
export interface LoadingProgressInfo {
  status: 'loading';
  /** The checkpoint (file name or URL). */
  name: string;
  /** The state-dict key just loaded. */
  file: string;
  /** Tensors loaded so far. */
  loaded: number;
  /** Tensors in all. */
  total: number;
  /** Percent, 0 to 100. */
  progress: number;
}

/**
 * Progress of a model load, in the style of transformers.js' `progress_callback`: the
 * download events of @titok/io (`initiate`, `download`, `progress`, `done`, `ready`) and
 * `loading` as the weights are copied into the model.
 */
export type LoadProgressInfo = ProgressInfo | LoadingProgressInfo;

/** Receives {@link LoadProgressInfo} events. */
export type LoadProgressCallback = (info: LoadProgressInfo) => void;

/**
 * Where to run: `'auto'` (WebGPU, else WASM, else CPU), or a backend by name; see
 * `selectBackend` in @titok/core. Left out: the active TensorFlow.js backend is kept (and
 * `'auto'` is selected when none is active yet).
 */
export type Device = BackendRequest;
