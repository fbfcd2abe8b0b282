import type { Command } from '../lib/command.js';

/**
 * The command table. Each command is loaded only when used, so `titok inspect` never pays
 * for TensorFlow.js start-up. To add a command: one file in this folder, one line here.
 */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  inspect: { summary: 'show what a checkpoint holds: format, dtypes, tensors, parameters, released preset', load: async () => (await import('./inspect.js')).default },
  convert: { summary: 'convert a checkpoint (.safetensors, .bin, legacy .bin) to TensorFlow.js weights', load: async () => (await import('./convert.js')).default },
  cache: { summary: 'list, fetch or remove downloaded models (ls | fetch | rm | clear)', load: async () => (await import('./cache.js')).default },
  encode: { summary: 'turn images into TiTok tokens (--json for a machine-readable list)', load: async () => (await import('./encode.js')).default },
  decode: { summary: 'turn tokens (from `titok encode --json`) back into images', load: async () => (await import('./decode.js')).default },
  reconstruct: { summary: 'encode an image and decode it again; prints the tokens and the PSNR', load: async () => (await import('./reconstruct.js')).default },
  generate: { summary: 'make images of ImageNet classes with a TiTok generator and its tokenizer (MaskGIT sampling)', load: async () => (await import('./generate.js')).default },
};
