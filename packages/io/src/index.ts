/**
 * @titok/io: bytes in, state dicts out, and back. Safe readers for safetensors and PyTorch
 * checkpoints (nothing from a file is ever executed), writers for safetensors and the
 * TensorFlow.js weights format, and config parsing. Works in browsers and Node; file-path
 * helpers for Node live in `@titok/io/node`.
 *
 * @packageDocumentation
 */
export { bytesSource, blobSource, toByteSource, isByteSource } from './source/byte-source.js';
export type { ByteSource, ByteInput } from './source/byte-source.js';
export { readSafetensors } from './formats/safetensors-reader.js';
export { openHubModel, fetchHubFile } from './hub/hub-model.js';
export type { HubModelOptions, ModelFiles } from './hub/hub-model.js';
export { openUrlModel, fetchCachedUrl } from './hub/url-model.js';
export { hubResolver, cachedUrlResolver } from './hub/hub-resolver.js';
export { parseHubName, requireHubName, hubFileUrl } from './hub/hub-name.js';
export type { HubModelName } from './hub/hub-name.js';
export { hubSettings, DEFAULT_HUB_ENDPOINT } from './hub/hub-options.js';
export type { HubOptions, HubSettings } from './hub/hub-options.js';
export type {
  ProgressInfo,
  ProgressCallback,
  InitiateProgressInfo,
  DownloadProgressInfo,
  ProgressStatusInfo,
  DoneProgressInfo,
  ReadyProgressInfo,
} from './hub/progress.js';
export { CHECKPOINT_REPO } from './hub/registry.js';
export type { KnownFile } from './hub/registry.js';
export { createSha256 } from './hub/sha256.js';
export type { Sha256 } from './hub/sha256.js';
export { resolveCache } from './cache/default-cache.js';
export { memoryCache } from './cache/memory-cache.js';
export { cacheApiCache, BROWSER_CACHE_NAME } from './cache/cache-api-cache.js';
export { indexedDbCache } from './cache/indexeddb-cache.js';
export type { ModelCache, CacheKey, CacheEntryMeta, CachedEntry, CacheWriter, DownloadTarget, BeginOptions } from './cache/cache-types.js';
export { writeSafetensors, encodeSafetensors } from './formats/safetensors-writer.js';
export type { TensorData, ByteSink } from './formats/safetensors-writer.js';
export { readCheckpoint } from './formats/read-checkpoint.js';
export type { ReadCheckpointOptions } from './formats/read-checkpoint.js';
export { detectFormat } from './formats/detect.js';
export { readTorchZip } from './formats/torch/torch-zip-reader.js';
export { readTorchLegacy } from './formats/torch/torch-legacy-reader.js';
export { writeTorchZip } from './formats/torch/torch-zip-writer.js';
export { convertTo, storageDTypeFor } from './formats/dtype-convert.js';
export type { StorageDType } from './formats/dtype-convert.js';
export { writeTfjsWeights, DEFAULT_SHARD_BYTES } from './tfjs-weights/tfjs-writer.js';
export type { FileSink, TfjsWriteOptions, WriteProgress } from './tfjs-weights/tfjs-writer.js';
export { readTfjsWeights } from './tfjs-weights/tfjs-reader.js';
export type { TfjsReadOptions } from './tfjs-weights/tfjs-reader.js';
export { parseModelJson, TFJS_WEIGHTS_FORMAT } from './tfjs-weights/manifest.js';
export type { TfjsModelJson, TfjsWeightSpec, TfjsWeightsGroup } from './tfjs-weights/manifest.js';
export { IO_VERSION } from './version.js';
export { openModelSource } from './model-source/open-model-source.js';
export type { ModelSource, ModelSourceInput, OpenModelSourceOptions, ModelSourceResolver, ResolvedModelFiles } from './model-source/types.js';
export { MODEL_SOURCE_RESOLVERS, registerModelSourceResolver, bytesResolver, localPathResolver } from './model-source/resolvers.js';
export { urlResolver } from './model-source/url-resolver.js';
export { httpSource, fetchJson } from './source/http-source.js';
export type { HttpSourceOptions } from './source/http-source.js';
export { detectPreset, presetProbes, IGNORABLE_KEYS } from './presets/detect-preset.js';
export { toReferenceConfig, presetParsedConfig } from './presets/reference-config.js';
export { parseIdx } from './datasets/idx.js';
export type { IdxArray, IdxDType } from './datasets/idx.js';
export { FASHION_MNIST_CLASSES, labelledImages } from './datasets/fashion-mnist.js';
export type { LabelledImages } from './datasets/fashion-mnist.js';
export { encodeTrainingCheckpoint, decodeTrainingCheckpoint, TRAINING_CHECKPOINT_KEY } from './training/training-checkpoint.js';
