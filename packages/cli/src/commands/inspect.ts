import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { numel } from '@titok/core';
import type { StateDict } from '@titok/core';
import { openModelSource } from '@titok/io';
import { UsageError, flag, str } from '../lib/args.js';
import type { CliIO, Command, ParsedArgs } from '../lib/command.js';
import { createProgressBar } from '../lib/progress.js';

const FORMATS: Record<string, string> = {
  safetensors: 'safetensors',
  'torch-zip': 'PyTorch zip checkpoint (torch.save, 1.6+)',
  'torch-legacy': 'PyTorch legacy checkpoint (pre-1.6)',
  tfjs: 'TensorFlow.js weights (model.json)',
};

const int = (n: number) => n.toLocaleString('en-US');

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Groups keys by their first segment, or the first two when one segment holds everything. */
export function keyGroups(sd: StateDict): { group: string; tensors: number; parameters: number }[] {
  const names = [...sd.tensors.keys()];
  const firsts = new Set(names.map((n) => n.split('.')[0]));
  const depth = firsts.size === 1 && names.length > 1 ? 2 : 1;
  const groups = new Map<string, { group: string; tensors: number; parameters: number }>();
  for (const t of sd.tensors.values()) {
    const group = t.name.split('.').slice(0, depth).join('.');
    const g = groups.get(group) ?? { group, tensors: 0, parameters: 0 };
    g.tensors++;
    g.parameters += numel(t.shape);
    groups.set(group, g);
  }
  return [...groups.values()];
}

async function printJson(sd: StateDict, preset: string | null, io: CliIO): Promise<void> {
  const total = [...sd.tensors.values()].reduce((s, t) => s + t.byteLength, 0);
  const bar = createProgressBar(io.stderr, 'hashing', { total, unit: 'bytes' });
  const tensors: { name: string; dtype: string; shape: number[]; sha256: string }[] = [];
  let done = 0;
  for (const t of sd.tensors.values()) {
    const bytes = await t.read();
    tensors.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], sha256: createHash('sha256').update(bytes).digest('hex') });
    done += t.byteLength;
    bar.update(done);
  }
  bar.done();
  io.stdout.write(`${JSON.stringify({ format: sd.format, preset, tensors })}\n`);
}

function printText(sd: StateDict, preset: string | null, io: CliIO): void {
  const list = [...sd.tensors.values()];
  const dtypes = new Map<string, { tensors: number; parameters: number }>();
  let parameters = 0;
  let bytes = 0;
  for (const t of list) {
    const n = numel(t.shape);
    parameters += n;
    bytes += t.byteLength;
    const d = dtypes.get(t.dtype) ?? { tensors: 0, parameters: 0 };
    d.tensors++;
    d.parameters += n;
    dtypes.set(t.dtype, d);
  }
  const lines = [
    `file:        ${sd.source}`,
    `format:      ${FORMATS[sd.format] ?? sd.format}`,
    ...(sd.unwrapped ? [`unwrapped:   the state dict was wrapped; read it from '${sd.unwrapped}'`] : []),
    `preset:      ${preset ?? 'none of the released models (pass --config to convert it)'}`,
    `tensors:     ${int(list.length)}`,
    `parameters:  ${int(parameters)}`,
    `data:        ${fmtBytes(bytes)}`,
    `dtypes:      ${[...dtypes].map(([d, v]) => `${d} (${int(v.tensors)} tensors, ${int(v.parameters)} parameters)`).join(', ')}`,
    'key groups:',
  ];
  const groups = keyGroups(sd);
  const width = Math.max(...groups.map((g) => g.group.length), 5);
  for (const g of groups) lines.push(`  ${g.group.padEnd(width)}  ${String(g.tensors).padStart(5)} tensors  ${int(g.parameters).padStart(13)} parameters`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

const inspect: Command = {
  name: 'inspect',
  summary: 'show what a checkpoint holds: format, dtypes, tensors, parameters, released preset',
  usage: `
Usage: titok inspect <checkpoint | folder | URL> [--json] [--config config.json]

Reads only the headers (safetensors, PyTorch zip or legacy .bin, tfjs model.json) and prints
the format, dtypes, tensor and parameter counts, the released model it matches and the key
groups. Nothing in the file is executed.

  --json     print {"format","preset","tensors":[{"name","dtype","shape","sha256"}]}, where
             sha256 is the hash of each tensor's contiguous little-endian bytes (reads all data)
  --config   a config.json to use instead of the one beside the weights
  --debug    print the stack trace of an error
`,
  options: { json: { type: 'boolean' }, config: { type: 'string' } },
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    if (args.positionals.length !== 1) throw new UsageError('inspect needs exactly one checkpoint, folder or URL (titok inspect <file>)');
    const input = args.positionals[0]!;
    const source = /^https?:\/\//i.test(input) ? input : path.resolve(io.cwd, input);
    const config = str(args, 'config');
    const model = await openModelSource(source, {
      requireConfig: false,
      ...(config ? { config: /^https?:\/\//i.test(config) ? config : path.resolve(io.cwd, config) } : {}),
    });
    try {
      const preset = model.preset?.name ?? null;
      if (flag(args, 'json')) await printJson(model.stateDict, preset, io);
      else printText(model.stateDict, preset, io);
    } finally {
      await model.close();
    }
    return 0;
  },
};

export default inspect;
