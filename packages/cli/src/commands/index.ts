import type { Command } from '../lib/command.js';

/**
 * The command table. Each command is loaded only when used, so `titok inspect` never pays
 * for TensorFlow.js start-up. To add a command: one file in this folder, one line here.
 */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  cache: { summary: 'list, fetch or remove downloaded models (ls | fetch | rm | clear)', load: async () => (await import('./cache.js')).default },
};
