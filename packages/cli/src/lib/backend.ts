import * as os from 'node:os';
import { describeBackend, releaseBackend, selectBackend } from '@titok/core';
import type { BackendInfo } from '@titok/core';
import { UsageError, str } from './args.js';
import type { CliIO, OptionSpec, ParsedArgs } from './command.js';

/** The `--backend` option of every command that runs a model. */
export const BACKEND_OPTIONS: OptionSpec = {
  backend: { type: 'string' },
  threads: { type: 'string' },
};

/** Usage lines for {@link BACKEND_OPTIONS}. */
export const BACKEND_USAGE = `  --backend <name>   auto (default: webgpu with a GPU, else wasm), webgpu, wasm or cpu;
                     the TITOK_BACKEND environment variable sets the default
  --threads <n|auto> wasm threads (default: TITOK_WASM_THREADS, else auto: one per CPU)
  --debug            print the stack trace of an error and backend details`;

/**
 * `--threads`, else TITOK_WASM_THREADS (read by selectBackend), else 'auto': a command-line run
 * owns its process, so it uses every core (tfjs alone would run wasm on one thread in Node).
 */
function wasmThreads(args: ParsedArgs, io: CliIO): number | 'auto' | undefined {
  const t = str(args, 'threads');
  if (t === undefined) return io.env.TITOK_WASM_THREADS?.trim() ? undefined : 'auto';
  if (t.trim().toLowerCase() === 'auto') return 'auto';
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads takes 'auto' or a positive integer, got '${t}'`);
  return n;
}

/**
 * Starts the backend named by `--backend` (or TITOK_BACKEND, or auto). With `--debug` it says
 * on stderr what runs and what auto passed over. Call {@link stopBackend} when done.
 */
export async function startBackend(args: ParsedArgs, io: CliIO): Promise<BackendInfo> {
  // Mesa's Vulkan drivers complain on stderr when a headless machine has no XDG_RUNTIME_DIR.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = os.tmpdir();
  const info = await selectBackend({ backend: str(args, 'backend') as never, threads: wasmThreads(args, io), env: io.env });
  if (args.values.debug === true) {
    io.stderr.write(`backend: ${describeBackend(info)}\n`);
    for (const s of info.skipped) io.stderr.write(`backend: skipped ${s.backend}: ${s.reason}\n`);
  }
  return info;
}

/** Releases the backend (lets Node exit when WebGPU ran through Dawn). */
export async function stopBackend(): Promise<void> {
  await releaseBackend();
}
