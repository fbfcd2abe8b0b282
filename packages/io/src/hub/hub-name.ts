import { ConfigError, findPreset } from '@titok/core';
import type { Preset } from '@titok/core';

/** A model named on a hub: repository, revision, and the preset when it is a released model. */
export interface HubModelName {
  /** `owner/name`. */
  repo: string;
  /** Revision named inside the string (`owner/name@rev`), if any. */
  revision?: string;
  /** The released model's preset, when the name is one. */
  preset?: Preset;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]*[A-Za-z0-9_]$/;

/**
 * Parses a preset name (`titok_l32`), short name (`titok-l32`, `titok-l32-generator`) or a hub
 * repository id (`owner/name`, optionally `owner/name@revision`). Returns undefined for anything
 * else (paths, URLs), so resolvers can try other interpretations.
 */
export function parseHubName(name: string): HubModelName | undefined {
  const text = name.trim();
  if (!text || /^[a-z][a-z0-9+.-]*:/i.test(text) || text.startsWith('.') || text.startsWith('/') || text.includes('\\')) {
    return undefined;
  }
  const at = text.indexOf('@');
  const base = at >= 0 ? text.slice(0, at) : text;
  const revision = at >= 0 ? text.slice(at + 1) : undefined;
  if (revision !== undefined && !/^[\w./-]+$/.test(revision)) return undefined;
  const preset = findPreset(base);
  if (preset) {
    if (!preset.hubRepo) return undefined;
    return { repo: preset.hubRepo, revision, preset };
  }
  if (!REPO_ID.test(base) || base.includes('..') || base.split('/').length !== 2) return undefined;
  return { repo: base, revision };
}

/** Like {@link parseHubName} but throws a ConfigError saying what a hub name looks like. */
export function requireHubName(name: string): HubModelName {
  const parsed = parseHubName(name);
  if (!parsed) {
    throw new ConfigError(
      `'${name}' is not a hub model name: use a released model's short name (titok-l32, titok-l32-generator, ...) or a repo id 'owner/name'`,
    );
  }
  return parsed;
}

/** `<endpoint>/<repo>/resolve/<revision>/<file>`, with each path segment escaped. */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const seg = (s: string) => s.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${seg(repo)}/resolve/${encodeURIComponent(revision)}/${seg(file)}`;
}
