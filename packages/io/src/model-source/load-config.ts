import { ConfigError } from '@titok/core';
import { fetchJson } from '../source/http-source.js';
import type { OpenModelSourceOptions } from './types.js';

/** True for `http:` / `https:` URLs (strings or URL objects). */
export function isHttpUrl(x: unknown): x is string | URL {
  if (x instanceof URL) return x.protocol === 'http:' || x.protocol === 'https:';
  return typeof x === 'string' && /^https?:\/\//i.test(x);
}

/** True when running under Node (where file paths can be read). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The Node-only file helpers, loaded only under Node (browsers get a stub via package.json). */
export async function nodeFiles(): Promise<typeof import('./node-files.js')> {
  return import('./node-files.js');
}

/** Loads the `config` option: a parsed object, a URL, or (Node) a path. */
export async function loadConfigOption(
  config: NonNullable<OpenModelSourceOptions['config']>,
  options: OpenModelSourceOptions,
): Promise<{ json: Record<string, unknown>; file: string }> {
  if (isHttpUrl(config)) {
    const url = config.toString();
    return { json: (await fetchJson(url, options))!, file: url };
  }
  if (typeof config === 'string' || config instanceof URL) {
    if (!isNode()) throw new ConfigError(`cannot read the config '${config.toString()}': file paths need Node; pass a URL or the parsed object`);
    const path = config instanceof URL ? config : config;
    return (await nodeFiles()).readJsonFile(path);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ConfigError('the config option must be a path, a URL or a JSON object');
  return { json: config, file: options.name ? `${options.name} (config option)` : '<config option>' };
}
