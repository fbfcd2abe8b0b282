export { TokenizerTrainer, CODEBOOK_UPDATES } from './tokenizer-trainer.js';
export type { TokenizerTrainingOptions } from './tokenizer-trainer.js';
export { tokenizerLoss, ESTIMATORS } from './tokenizer-loss.js';
export type { TokenizerLossOptions, TokenizerLossWeights, TokenizerLossOutput } from './tokenizer-loss.js';
export { nearestCodes } from './nearest-codes.js';
export type { NearestCodes } from './nearest-codes.js';
export { imageBatch, checkTrainingImages } from './training-images.js';
export type { TrainingImages } from './training-images.js';
