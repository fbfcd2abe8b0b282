import { ConfigError, InputError, findPreset, parseModelConfig } from '@titok/core';
import type { ParsedConfig, Preset, StateDict } from '@titok/core';
import { readCheckpoint } from '../formats/read-checkpoint.js';
import { detectPreset } from '../presets/detect-preset.js';
import { presetParsedConfig } from '../presets/reference-config.js';
import { isByteSource } from '../source/byte-source.js';
import { loadConfigOption } from './load-config.js';
import { MODEL_SOURCE_RESOLVERS } from './resolvers.js';
import type { ModelSource, ModelSourceInput, OpenModelSourceOptions, ResolvedModelFiles } from './types.js';

function describeInput(input: ModelSourceInput): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.toString();
  return isByteSource(input) ? input.name : 'the given bytes';
}

function isStateDict(w: ResolvedModelFiles['weights']): w is StateDict {
  return (w as StateDict).tensors instanceof Map;
}

/**
 * Opens whatever a user passes as a model and returns its state dict (read lazily) and config:
 *
 * - a local folder (Node): `config.json` + `model.safetensors`, `model.json` (tfjs weights),
 *   `pytorch_model.bin` or a single `.safetensors`/`.bin`/`.pt` file;
 * - a checkpoint file (Node path): safetensors, PyTorch zip or legacy, or a tfjs `model.json`;
 * - an http(s) URL of a weights file, a `model.json` or a folder (Range reads when the server
 *   allows them);
 * - an `ArrayBuffer`, `Uint8Array`, `Blob`/`File` or ByteSource (browsers).
 *
 * The config comes from the `config` option, else a config.json beside the weights, else a
 * model.json's embedded config, else the released model the weights are detected as
 * ({@link detectPreset}). Resolvers are tried in order ({@link MODEL_SOURCE_RESOLVERS});
 * more kinds of names plug in there.
 *
 * @example
 * ```ts
 * const { config, stateDict } = await openModelSource('models/titok_l32');
 * ```
 * @throws InputError when nothing can open the input, FormatError / UnsafePickleError for bad
 *   weights, ConfigError when no config is given and the weights match no released model
 *   (unless `requireConfig: false`), NetworkError for URLs
 */
export async function openModelSource(source: ModelSourceInput, options: OpenModelSourceOptions = {}): Promise<ModelSource> {
  let files: ResolvedModelFiles | undefined;
  for (const resolver of options.resolvers ?? MODEL_SOURCE_RESOLVERS) {
    files = await resolver.resolve(source, options);
    if (files) break;
  }
  if (!files) {
    const what = describeInput(source);
    throw new InputError(`${what}: no such file or folder, and not a URL${typeof source === 'string' ? ' or a known model name' : ''}`, { file: what });
  }
  const stateDict = isStateDict(files.weights)
    ? files.weights
    : await readCheckpoint(files.weights, { name: files.weightsFile, openRelated: files.openRelated });
  try {
    let configJson: Record<string, unknown> | undefined;
    let configFile: string | undefined;
    if (options.config !== undefined) ({ json: configJson, file: configFile } = await loadConfigOption(options.config, options));
    else if (files.configJson) [configJson, configFile] = [files.configJson, files.configFile];
    else if (stateDict.metadata.config) [configJson, configFile] = [JSON.parse(stateDict.metadata.config) as Record<string, unknown>, stateDict.source];

    let preset: Preset | undefined = files.preset ?? detectPreset(stateDict);
    if (!preset && stateDict.metadata.preset) preset = findPreset(stateDict.metadata.preset);
    let config: ParsedConfig | undefined;
    if (configJson) config = parseModelConfig(configJson, configFile);
    else if (preset) {
      config = presetParsedConfig(preset, findPreset);
      configJson = config.resolved;
      configFile = `preset:${preset.name}`;
    } else if (options.requireConfig !== false) {
      throw new ConfigError(
        "cannot tell which model these weights are for: they match none of the released models; pass the model's config.json (--config in the CLI, the 'config' option in the API)",
        { file: stateDict.source },
      );
    }
    return { config, configJson, configFile, preset, stateDict, weightsFile: files.weightsFile, close: () => stateDict.close() };
  } catch (e) {
    await stateDict.close().catch(() => {});
    throw e;
  }
}
