import type { ParsedConfig, Preset, StateDict } from '@titok/core';
import type { ByteSource } from '../source/byte-source.js';

/**
 * What a user can pass as "the model": a local folder or checkpoint path (Node), an http(s)
 * URL (a weights file, a `model.json`, or a folder URL), bytes, a Blob/File, or a ByteSource.
 * Resolvers added later also accept names (hub ids, short names such as `titok-l32`).
 */
export type ModelSourceInput = string | URL | ArrayBuffer | Uint8Array | Blob | ByteSource;

/** Options of `openModelSource`. */
export interface OpenModelSourceOptions {
  /**
   * The model's config: a path (Node) or URL of a config.json, or the parsed JSON object.
   * Overrides a config.json found beside the weights.
   */
  config?: string | URL | Record<string, unknown>;
  /** Name for messages when the input is bytes or a Blob. */
  name?: string;
  /**
   * When true (the default), fail with a ConfigError if there is no config and the weights are
   * not one of the released models. `titok inspect` passes false.
   */
  requireConfig?: boolean;
  /** `fetch` for URLs (default: the global one). */
  fetch?: typeof fetch;
  /** Extra HTTP headers for URLs. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Resolvers to try, in order (default: {@link MODEL_SOURCE_RESOLVERS}). */
  resolvers?: readonly ModelSourceResolver[];
  /** Anything a resolver added later needs (hub endpoint, cache, dtype...). */
  [option: string]: unknown;
}

/** What a resolver found: where the weights are, and the config beside them if any. */
export interface ResolvedModelFiles {
  /** The weights: a source to read with `readCheckpoint`, or an already opened state dict. */
  weights: ByteSource | StateDict;
  /** Weights file name or URL, for messages. */
  weightsFile: string;
  /** For a tfjs `model.json`: opens the shards beside it. */
  openRelated?: (path: string) => Promise<ByteSource>;
  /** A config.json found with the weights. */
  configJson?: Record<string, unknown>;
  configFile?: string;
  /** The released model, when the input named one. */
  preset?: Preset;
}

/**
 * One way of turning a {@link ModelSourceInput} into files. `openModelSource` asks each
 * resolver in order; the first that returns something wins, `undefined` means "not mine".
 */
export interface ModelSourceResolver {
  /** For messages and debugging (`bytes`, `url`, `node-path`, `hub`...). */
  readonly name: string;
  resolve(input: ModelSourceInput, options: OpenModelSourceOptions): Promise<ResolvedModelFiles | undefined>;
}

/** An opened model: its state dict (read lazily) and its config. */
export interface ModelSource {
  /** The typed config: from the config option, a config.json, a model.json or the detected preset. */
  config?: ParsedConfig;
  /** The config as JSON (what a converter writes as config.json). */
  configJson?: Record<string, unknown>;
  /** Where the config came from (a path or URL, or `preset:<name>`). */
  configFile?: string;
  /** The released model the weights were detected as (or named). */
  preset?: Preset;
  stateDict: StateDict;
  /** Weights file name or URL. */
  weightsFile: string;
  /** Closes the weights (same as `stateDict.close()`). */
  close(): Promise<void>;
}
