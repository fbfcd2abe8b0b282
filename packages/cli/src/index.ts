/**
 * @titok/cli: the `titok` command. Import {@link main} to run it from a program.
 *
 * @packageDocumentation
 */
export { main } from './main.js';
export type { CliIO, Command, ParsedArgs } from './lib/command.js';
