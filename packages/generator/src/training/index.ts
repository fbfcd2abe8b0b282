export { GeneratorTrainer } from './generator-trainer.js';
export type { GeneratorTrainingOptions, TokenTrainingData } from './generator-trainer.js';
export { generatorLoss, sliceMaskedBatch } from './generator-loss.js';
export type { MaskedBatch } from './generator-loss.js';
export { arccosMaskCount, maskPositions } from './masking.js';
