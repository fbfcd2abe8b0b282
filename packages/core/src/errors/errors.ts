/**
 * Typed errors of titok-js. Every error a user can cause (a bad file, a wrong shape, an
 * unknown preset) is a {@link TitokError} whose message is one line naming the problem:
 * the file, the key, the shape or the dtype involved. The CLI prints that line alone.
 */

/** Machine-readable category of a {@link TitokError}. */
export type TitokErrorCode =
  | 'FORMAT'
  | 'UNSAFE_PICKLE'
  | 'WEIGHTS'
  | 'CONFIG'
  | 'INPUT'
  | 'BACKEND'
  | 'NETWORK'
  | 'CANCELLED'
  | 'USAGE';

/** Base class of every error titok-js throws on purpose. */
export class TitokError extends Error {
  /** Category, for programs that branch on the kind of failure. */
  readonly code: TitokErrorCode;
  /** The file or URL involved, when there is one. */
  readonly file?: string;

  constructor(code: TitokErrorCode, message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.file = options?.file;
  }
}

/** A file is not in the format it claims, or is damaged (truncated, bad offsets, bad header). */
export class FormatError extends TitokError {
  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super('FORMAT', options?.file ? `${options.file}: ${message}` : message, options);
  }
}

/** A pickle asked for a global that a state dict never needs; nothing was executed. */
export class UnsafePickleError extends TitokError {
  /** The refused global, as `module.name`. */
  readonly global: string;

  constructor(global: string, options?: { file?: string }) {
    super(
      'UNSAFE_PICKLE',
      `${options?.file ? `${options.file}: ` : ''}refused to load: the pickle references the global '${global}', ` +
        'which a state dict never needs (nothing from the file was executed)',
      options,
    );
    this.global = global;
  }
}

/** A state dict does not match a model: missing, unexpected or mis-shaped keys. */
export class WeightsError extends TitokError {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mismatched: { key: string; expected: number[]; actual: number[] }[];

  constructor(
    message: string,
    details: {
      missing?: string[];
      unexpected?: string[];
      mismatched?: { key: string; expected: number[]; actual: number[] }[];
      file?: string;
    } = {},
  ) {
    super('WEIGHTS', details.file ? `${details.file}: ${message}` : message, { file: details.file });
    this.missing = details.missing ?? [];
    this.unexpected = details.unexpected ?? [];
    this.mismatched = details.mismatched ?? [];
  }
}

/** A configuration is missing, malformed or names something unknown. */
export class ConfigError extends TitokError {
  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super('CONFIG', options?.file ? `${options.file}: ${message}` : message, options);
  }
}

/** An argument (image, tokens, class label, option) is not acceptable. */
export class InputError extends TitokError {
  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super('INPUT', message, options);
  }
}

/** A backend could not be initialised or lacks something the model needs. */
export class BackendError extends TitokError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BACKEND', message, options);
  }
}

/** A download failed (HTTP status, dropped connection, integrity check). */
export class NetworkError extends TitokError {
  /** HTTP status, when the server answered. */
  readonly status?: number;

  constructor(message: string, options?: { file?: string; status?: number; cause?: unknown }) {
    super('NETWORK', message, options);
    this.status = options?.status;
  }
}

/** An operation was cancelled through its AbortSignal. */
export class CancelledError extends TitokError {
  constructor(message = 'the operation was cancelled') {
    super('CANCELLED', message);
  }
}

/** Throws {@link CancelledError} when the signal is aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const reason = signal.reason;
    throw new CancelledError(
      reason instanceof Error && reason.message ? `cancelled: ${reason.message}` : 'the operation was cancelled',
    );
  }
}
