/**
 * Node-only helpers of @titok/io (file paths, the disk cache).
 *
 * @packageDocumentation
 */
export { fileSource } from './source/node.js';
