import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors/index.js';
import { BACKEND_NAMES } from './types.js';
import type { BackendRequest, BackendRequestSource } from './types.js';

/** True in Node.js (and not in a browser, a worker or Deno's browser mode). */
export function isNode(): boolean {
  return (
    typeof process !== 'undefined' &&
    typeof process.versions === 'object' &&
    process.versions !== null &&
    typeof process.versions.node === 'string'
  );
}

/** The process environment in Node, else an empty object. */
export function processEnv(): Record<string, string | undefined> {
  return isNode() ? process.env : {};
}

function checkName(value: string, what: string): BackendRequest {
  const v = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendRequest;
  throw new InputError(`${what} '${value}' is not a backend (expected one of: ${BACKEND_NAMES.join(', ')})`);
}

/**
 * Resolves the requested backend: an explicit option wins, then `TITOK_BACKEND`, then `'auto'`.
 * Throws {@link InputError} for an unknown name.
 */
export function resolveRequest(
  option: string | undefined,
  env: Record<string, string | undefined>,
): { requested: BackendRequest; source: BackendRequestSource } {
  if (option !== undefined && option !== 'auto') return { requested: checkName(String(option), 'backend'), source: 'option' };
  if (option === 'auto') checkName(option, 'backend');
  const fromEnv = env.TITOK_BACKEND;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { requested: checkName(fromEnv, 'TITOK_BACKEND'), source: 'env' };
  }
  return { requested: 'auto', source: option === 'auto' ? 'option' : 'default' };
}

/**
 * Silences tfjs' "install tfjs-node" console warning, which the cpu backend prints once in Node
 * on its first tensor (tfjs-node cannot be installed here, and titok-js does not need it).
 */
export function silenceNodeBackendWarning(): void {
  if (!isNode()) return;
  try {
    const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
    if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
  } catch {
    // the cpu backend is not registered: nothing prints the warning
  }
}
