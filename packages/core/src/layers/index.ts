export { TitokLayer, registerLayer } from './titok-layer.js';
export type { TitokLayerArgs, ParamInit, WeightEntry } from './titok-layer.js';
export { LayerNorm } from './layer-norm.js';
export type { LayerNormArgs } from './layer-norm.js';
export { Linear } from './linear.js';
export type { LinearArgs } from './linear.js';
export { Gelu, gelu } from './gelu.js';
export { multiHeadAttention } from './attention.js';
