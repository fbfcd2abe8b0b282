/** A file starts loading (from the cache or the network). */
export interface InitiateProgressInfo {
  status: 'initiate';
  /** The model name, repo id or URL as given. */
  name: string;
  /** The file within it. */
  file: string;
}
/** The file is not cached: a download begins. */
export interface DownloadProgressInfo {
  status: 'download';
  name: string;
  file: string;
}
/** Bytes arrived. */
export interface ProgressStatusInfo {
  status: 'progress';
  name: string;
  file: string;
  /** Percent, 0 to 100. */
  progress: number;
  /** Bytes received so far (including a resumed part). */
  loaded: number;
  /** Bytes in the file (0 when the server did not say). */
  total: number;
}
/** The file is in the cache (or memory), verified. */
export interface DoneProgressInfo {
  status: 'done';
  name: string;
  file: string;
}
/** Every file of a model is available. */
export interface ReadyProgressInfo {
  status: 'ready';
  /** What was loaded (`model`), for transformers.js compatibility. */
  task: string;
  /** The model name as given. */
  model: string;
}

/** Progress events, shaped like transformers.js' `progress_callback` payloads. */
export type ProgressInfo =
  | InitiateProgressInfo
  | DownloadProgressInfo
  | ProgressStatusInfo
  | DoneProgressInfo
  | ReadyProgressInfo;

/** Receives {@link ProgressInfo} events. */
export type ProgressCallback = (info: ProgressInfo) => void;

/** Calls the callback, never letting a throwing callback break a download. */
export function emitProgress(cb: ProgressCallback | undefined, info: ProgressInfo): void {
  if (!cb) return;
  try {
    cb(info);
  } catch {
    // a broken progress callback must not fail the load
  }
}

/** Emits `progress` events at most every `intervalMs`, always emitting the last one. */
export function progressThrottle(cb: ProgressCallback | undefined, name: string, file: string, intervalMs = 100) {
  let last = 0;
  return (loaded: number, total: number, force = false) => {
    if (!cb) return;
    const now = Date.now();
    if (!force && now - last < intervalMs && !(total && loaded >= total)) return;
    last = now;
    const progress = total ? Math.min(100, (loaded / total) * 100) : 0;
    emitProgress(cb, { status: 'progress', name, file, progress, loaded, total });
  };
}
