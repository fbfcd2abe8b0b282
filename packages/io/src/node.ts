/**
 * Node-only helpers of @titok/io (file paths, the disk cache).
 *
 * @packageDocumentation
 */
export { fileSource } from './source/node.js';
export { diskCache } from './cache/disk-cache.js';
export type { DiskCacheOptions } from './cache/disk-cache.js';
export { defaultCacheDir } from './cache/disk-paths.js';
export { fileSink } from './source/node-sink.js';
export { writeTfjsFolder } from './tfjs-weights/node-folder.js';
export type { WriteFolderOptions, WrittenFolder } from './tfjs-weights/node-folder.js';
export { nodePathResolver, readJsonFile, folderWeights } from './model-source/node-files.js';
export { readIdxFile, loadFashionMnist, DEBIAN_FASHION_MNIST_DIR } from './datasets/node-datasets.js';
export { saveTrainingCheckpoint, loadTrainingCheckpoint } from './training/node-checkpoint-file.js';
