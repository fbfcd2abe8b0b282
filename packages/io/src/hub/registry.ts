import type { Preset } from '@titok/core';

/**
 * The repository holding the released single-file `torch.save` checkpoints (`preset.checkpointFile`),
 * the fallback when a model's repository has no `model.safetensors`.
 */
export const CHECKPOINT_REPO = 'fun-research/TiTok';

/** Size and SHA-256 of one published file, where known. */
export interface KnownFile {
  size?: number;
  sha256?: string;
}

/**
 * What the registry knows about `file` of a preset's repository at its default revision
 * (`preset.files`), merged with per-call expectations (which win).
 */
export function expectedFile(
  preset: Preset | undefined,
  file: string,
  revision: string,
  extra?: Record<string, KnownFile>,
): KnownFile | undefined {
  const known = (preset as { files?: Readonly<Record<string, KnownFile>> } | undefined)?.files;
  const fromPreset = revision === 'main' ? known?.[file] : undefined;
  const given = extra?.[file];
  if (!fromPreset && !given) return undefined;
  return { ...fromPreset, ...given };
}
