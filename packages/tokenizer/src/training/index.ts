export { TokenizerTrainer } from './tokenizer-trainer.js';
export type { TokenizerTrainingOptions } from './tokenizer-trainer.js';
export { tokenizerLoss } from './tokenizer-loss.js';
export type { TokenizerLossOptions, TokenizerLossWeights, TokenizerLossOutput } from './tokenizer-loss.js';
export { nearestCodes } from './nearest-codes.js';
export type { NearestCodes } from './nearest-codes.js';
export { imageBatch, checkTrainingImages } from './training-images.js';
export type { TrainingImages } from './training-images.js';
