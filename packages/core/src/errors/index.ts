export {
  TitokError,
  FormatError,
  UnsafePickleError,
  WeightsError,
  ConfigError,
  InputError,
  BackendError,
  NetworkError,
  CancelledError,
  throwIfAborted,
} from './errors.js';
export type { TitokErrorCode } from './errors.js';
