/**
 * @titok/core: what every TiTok model needs and nothing about files. Typed configs and the
 * released presets, the state-dict type the readers fill, error classes, backend selection
 * and the building blocks of the spec as TensorFlow.js layers.
 *
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './state-dict/index.js';
export * from './config/index.js';
export * from './layers/index.js';
export * from './weights/index.js';
export * from './backend/index.js';
export * from './training/index.js';
