import { ConfigError } from '../errors/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const WHOLE = /^\$\{([^${}]+)\}$/;
const PART = /\$\{([^${}]+)\}/g;

function lookup(root: Json, path: string, file?: string): Json {
  let node: Json = root;
  for (const part of path.trim().split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(part in node)) {
      throw new ConfigError(`cannot resolve the interpolation \${${path}}: '${part}' does not exist`, { file });
    }
    node = (node as Record<string, Json>)[part]!;
  }
  return node;
}

/**
 * Resolves OmegaConf `${a.b.c}` interpolations (absolute dotted paths) in a parsed config.
 * A string that is exactly one interpolation takes the referenced value with its type
 * (`"${model.vq_model.num_latent_tokens}"` becomes the number 32); interpolations inside a
 * longer string are substituted as text. Cycles are an error.
 */
export function resolveInterpolations<T>(config: T, file?: string): T {
  const root = config as unknown as Json;
  const resolving = new Set<string>();

  const resolveString = (s: string, where: string): Json => {
    const whole = WHOLE.exec(s);
    if (whole) return resolvePath(whole[1]!, where);
    if (!s.includes('${')) return s;
    return s.replace(PART, (_m, path: string) => {
      const v = resolvePath(path, where);
      if (v !== null && typeof v === 'object') {
        throw new ConfigError(`${where}: \${${path}} is an object and cannot be part of a string`, { file });
      }
      return String(v);
    });
  };

  const resolvePath = (path: string, where: string): Json => {
    const key = path.trim();
    if (key.startsWith('.') || key.includes(':')) {
      throw new ConfigError(`${where}: unsupported interpolation \${${path}} (only absolute paths are supported)`, {
        file,
      });
    }
    if (resolving.has(key)) throw new ConfigError(`${where}: interpolation cycle through \${${key}}`, { file });
    resolving.add(key);
    try {
      return walk(lookup(root, key, file), key);
    } finally {
      resolving.delete(key);
    }
  };

  const walk = (node: Json, where: string): Json => {
    if (typeof node === 'string') return resolveString(node, where);
    if (Array.isArray(node)) return node.map((v, i) => walk(v, `${where}[${i}]`));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, where ? `${where}.${k}` : k);
      return out;
    }
    return node;
  };

  return walk(root, '') as unknown as T;
}
