export { selectBackend, describeBackend, currentBackend, releaseBackend } from './select-backend.js';
export { BACKEND_NAMES } from './types.js';
export type {
  AdapterDescription,
  BackendInfo,
  BackendName,
  BackendRequest,
  BackendRequestSource,
  SelectBackendOptions,
  SkippedBackend,
} from './types.js';
