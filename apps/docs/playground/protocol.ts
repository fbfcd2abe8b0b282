/**
 * Messages between the playground page and its Web Worker. The page only draws; every model
 * operation (backend start-up, loading, tokenizing, decoding, generating) runs in the worker.
 */
import type { BackendInfo, BackendRequest } from '@titok/core';

/** 8-bit RGB pixels, row-major, interleaved. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Where a model comes from. */
export type ModelSourceSpec =
  | { kind: 'url'; url: string }
  /** A config.json and a weights file (.safetensors, .bin) picked or dropped by the user. */
  | { kind: 'files'; config: File; weights: File };

export type ModelRole = 'tokenizer' | 'generator';

export interface InitRequest {
  type: 'init';
  backend: BackendRequest;
  /** WASM thread pool size; undefined lets tfjs choose (min(8, cores / 2)). */
  threads?: number;
  /** Absolute URL of the folder holding tfjs' .wasm binaries (served by the site). */
  wasmPaths: string;
}

export interface LoadRequest {
  type: 'load';
  role: ModelRole;
  source: ModelSourceSpec;
}

export interface EncodeRequest {
  type: 'encode';
  /** An encoded image file (PNG, JPEG...): decoded in the worker without colour conversion. */
  image: Blob;
  /** VQ: choose each token's code for the reconstruction (`TiTok.encode`'s `search`, with {@link PLAYGROUND_SEARCH}). */
  search?: boolean;
}

/**
 * The playground's code search: guided, each token decodes the 2 of its 8 nearest codes that the
 * gradient ranks best (about 3.5x fewer decodes than trying all 7, for most of the gain).
 */
export const PLAYGROUND_SEARCH = { candidates: 8, tries: 2, sweeps: 1 } as const;

/** Decodes of one image that {@link PLAYGROUND_SEARCH} costs with `numTokens` tokens (plus one backward pass). */
export const searchDecodes = (numTokens: number): number => numTokens * PLAYGROUND_SEARCH.tries * PLAYGROUND_SEARCH.sweeps;

export interface DecodeRequest {
  type: 'decode';
  tokens: number[];
}

export interface InterpolateRequest {
  type: 'interpolate';
  from: number[];
  to: number[];
  /** Number of frames, both ends included. */
  frames: number;
  /** 'embedding': blend the codebook vectors; 'tokens': take the first k tokens from `to`. */
  mode: 'embedding' | 'tokens';
}

export interface GenerateRequest {
  type: 'generate';
  classLabel: number;
  seed: number;
  numSteps: number;
  guidanceScale: number;
  guidanceDecay: 'constant' | 'linear' | 'power-cosine';
  randomizeTemperature: number;
  /** Decode the model's current best guess after every step. */
  previews: boolean;
}

export interface CancelRequest {
  type: 'cancel';
}

export type WorkerRequest = InitRequest | LoadRequest | EncodeRequest | DecodeRequest | InterpolateRequest | GenerateRequest | CancelRequest;

/** What the backend start-up reports, with the facts the page shows beside it. */
export interface InitResult {
  info: BackendInfo;
  description: string;
  /** `self.crossOriginIsolated` in the worker (threads need it). */
  crossOriginIsolated: boolean;
  /** Whether the worker has `navigator.gpu`. */
  webgpuAvailable: boolean;
  hardwareConcurrency: number;
  /** The .wasm binary tfjs loaded, when the backend is wasm. */
  wasmBinary?: string;
  ms: number;
}

export interface ModelInfo {
  role: ModelRole;
  name: string;
  kind: 'vq' | 'vae' | 'generator';
  numTokens: number;
  codebookSize: number;
  imageSize: number;
  /** Generators: number of classes. */
  numClasses?: number;
  /** Generators: the names of classes 0..numClasses-1 (the model's own, ImageNet's, or `class i`). */
  classNames?: string[];
  /** Generators: the released default settings. */
  defaults?: Omit<GenerateRequest, 'type' | 'classLabel' | 'seed' | 'previews'>;
  parameters: number;
  ms: number;
}

export interface EncodeResult {
  /** VQ: token ids. VAE: empty (continuous tokens). */
  tokens: number[];
  /** The image as the model sees it (resized and centre-cropped). */
  input: RgbImage;
  reconstruction: RgbImage;
  psnr: number;
  times: { prepare: number; encode: number; decode: number };
}

export interface DecodeResult {
  image: RgbImage;
  ms: number;
}

export interface InterpolateResult {
  frames: RgbImage[];
  ms: number;
}

export interface GenerateResult {
  tokens: number[];
  image: RgbImage;
  ms: number;
}

/** Events sent while a request runs. */
export type WorkerEvent =
  | { kind: 'progress'; status: string; file?: string; loaded?: number; total?: number; progress?: number }
  | { kind: 'step'; step: number; total: number; tokens: number[]; maskId: number }
  | { kind: 'preview'; step: number; image: RgbImage };

export type WorkerMessage =
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'error'; error: string }
  | { id: number; type: 'event'; event: WorkerEvent };
