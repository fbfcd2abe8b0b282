/**
 * Shared types of @titok/tokenizer's public API.
 */

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

/** Receives loading progress, in the style of transformers.js' `progress_callback`. */
export type LoadProgressCallback = (info: LoadingProgressInfo) => void;
