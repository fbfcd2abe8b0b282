/**
 * A one-line progress bar with rate and ETA, drawn only on a TTY (pipes and CI logs stay clean).
 */
export interface ProgressBar {
  /** Sets the amount done (bytes, steps, ...). */
  update(done: number, total?: number): void;
  /** Clears the line. */
  done(): void;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return `${m}:${String(sec).padStart(2, '0')}`;
}

/** Creates a progress bar on `stream` (a no-op when it is not a TTY). */
export function createProgressBar(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  label: string,
  options: { total?: number; unit?: 'bytes' | 'items' } = {},
): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  const start = Date.now();
  let total = options.total ?? 0;
  let last = 0;
  const fmt = options.unit === 'bytes' ? fmtBytes : (n: number) => String(n);
  const draw = (done: number) => {
    const elapsed = (Date.now() - start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 && total ? (total - done) / rate : NaN;
    const frac = total ? Math.min(1, done / total) : 0;
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - 50));
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const rateText = options.unit === 'bytes' ? `${fmtBytes(rate)}/s` : `${rate.toFixed(1)}/s`;
    stream.write(`\r${label} ${bar} ${fmt(done)}${total ? `/${fmt(total)}` : ''} ${rateText} ETA ${fmtTime(eta)}\x1b[K`);
  };
  return {
    update(done, t) {
      if (t !== undefined) total = t;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}

/** A download progress event (the shape of `@titok/io`'s `progress_callback` payloads). */
interface DownloadEvent {
  status: string;
  file?: string;
  loaded?: number;
  total?: number;
}

/**
 * A `progress_callback` for model loads (`fromPretrained`, `openModelSource`, hub downloads)
 * that draws one progress bar per downloaded file, with rate and ETA, on `stream` (a TTY only).
 */
export function downloadProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
): (event: DownloadEvent) => void {
  const bars = new Map<string, ProgressBar>();
  return (e) => {
    const file = e.file ?? '';
    if (e.status === 'download') bars.set(file, createProgressBar(stream, `downloading ${file}`, { unit: 'bytes' }));
    else if (e.status === 'progress') bars.get(file)?.update(e.loaded ?? 0, e.total || undefined);
    else if (e.status === 'done') {
      bars.get(file)?.done();
      bars.delete(file);
    }
  };
}
