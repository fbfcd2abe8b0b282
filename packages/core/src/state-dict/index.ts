export type { DType, CheckpointFormat, TensorInfo, StateDictTensor, StateDict } from './types.js';
export { DTYPES, isDType, dtypeSize, numel, halfToFloat, floatToHalf, float32BitsToHalf, toFloat32, toInt32 } from './dtype.js';
