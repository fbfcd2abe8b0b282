import { NetworkError } from '@titok/core';
import { fetchJson, httpSource } from '../source/http-source.js';
import type { HttpSourceOptions } from '../source/http-source.js';
import { isHttpUrl } from './load-config.js';
import type { ModelSourceResolver, OpenModelSourceOptions, ResolvedModelFiles } from './types.js';

const WEIGHTS_EXT = /\.(safetensors|bin|pt|pth|ckpt)$/i;
const FOLDER_WEIGHTS = ['model.safetensors', 'model.json', 'pytorch_model.bin'];

function http(o: OpenModelSourceOptions): HttpSourceOptions {
  return { fetch: o.fetch, headers: o.headers, signal: o.signal };
}

async function open(url: URL, o: OpenModelSourceOptions): Promise<ResolvedModelFiles> {
  const weightsFile = url.toString();
  const out: ResolvedModelFiles = { weights: await httpSource(weightsFile, http(o)), weightsFile };
  if (/\.json$/i.test(url.pathname)) out.openRelated = (p) => httpSource(new URL(p, url).toString(), http(o));
  return out;
}

/**
 * Resolves http(s) URLs: a weights file (`.safetensors`, `.bin`, ...), a tfjs `model.json`, or
 * a folder URL holding config.json and model.safetensors / model.json / pytorch_model.bin.
 * A config.json beside the weights is used when there is one. Servers that support Range
 * requests are read range by range (safetensors: header, then tensor by tensor).
 */
export const urlResolver: ModelSourceResolver = {
  name: 'url',
  async resolve(input, options) {
    if (!isHttpUrl(input)) return undefined;
    const url = new URL(input.toString());
    const isFile = WEIGHTS_EXT.test(url.pathname) || /\.json$/i.test(url.pathname);
    const folder = new URL(isFile ? '.' : url.pathname.endsWith('/') ? url.toString() : `${url.toString()}/`, url);
    let files: ResolvedModelFiles | undefined;
    if (isFile) files = await open(url, options);
    else {
      for (const name of FOLDER_WEIGHTS) {
        try {
          files = await open(new URL(name, folder), options);
          break;
        } catch (e) {
          if (!(e instanceof NetworkError && e.status === 404)) throw e;
        }
      }
      if (!files) throw new NetworkError(`no weights at this URL (tried ${FOLDER_WEIGHTS.join(', ')})`, { file: url.toString(), status: 404 });
    }
    const configUrl = new URL('config.json', folder).toString();
    try {
      const json = await fetchJson(configUrl, { ...http(options), optional: true });
      if (json) {
        files.configJson = json;
        files.configFile = configUrl;
      }
    } catch (e) {
      const w = files.weights as { close?: () => Promise<void> };
      await w.close?.();
      throw e;
    }
    return files;
  },
};
