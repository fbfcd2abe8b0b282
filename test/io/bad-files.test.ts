/**
 * Acceptance: every file in fixtures/bad except valid_reference* is refused within a second
 * with a typed error (API) and with exit code 2 and one line on stderr (CLI); the pickle
 * payloads (print, os.system('true')) never run.
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TitokError, UnsafePickleError } from '@titok/core';
import { readCheckpoint } from '@titok/io';
import { fileSource } from '@titok/io/node';
import { FIXTURES } from '../helpers/fixtures.js';
import { requireBuiltCli, titok } from './helpers/run-titok.js';

const BAD_DIR = path.join(FIXTURES, 'bad');
const BAD = fs.readdirSync(BAD_DIR).filter((f) => !f.startsWith('valid_reference') && f !== 'README.md').sort();
const EVIL: Record<string, string> = {
  'evil_global_reduce.bin': '__builtin__.print',
  'evil_stack_global.bin': 'posix.system',
  'evil_legacy_format.bin': '__builtin__.print',
};

describe('fixtures/bad through the API', () => {
  it('lists every bad file of the README', () => {
    const readme = fs.readFileSync(path.join(BAD_DIR, 'README.md'), 'utf8');
    const named = [...readme.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]!).filter((f) => !f.startsWith('valid_reference'));
    expect(BAD).toEqual(named.sort());
    expect(BAD.length).toBe(15);
  });

  it.each(BAD)('refuses %s with a typed one-line error within a second, running nothing', async (file) => {
    const spawned = ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync'].map((f) =>
      jest.spyOn(childProcess, f as 'spawn').mockImplementation(() => {
        throw new Error(`the payload tried to run a process (${f})`);
      }),
    );
    const printed = [jest.spyOn(process.stdout, 'write'), jest.spyOn(console, 'log'), jest.spyOn(console, 'info')];
    const t = Date.now();
    let err: unknown;
    for (const input of [async () => fs.readFileSync(path.join(BAD_DIR, file)), async () => fileSource(path.join(BAD_DIR, file))]) {
      err = await readCheckpoint(await input(), { name: file })
        .then(async (sd) => {
          for (const x of sd.tensors.values()) await x.read();
          return undefined;
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TitokError);
      const message = (err as Error).message;
      expect(message.startsWith(`${file}: `) || message.includes(path.join(BAD_DIR, file))).toBe(true);
      expect(message).not.toContain('\n');
    }
    expect(Date.now() - t).toBeLessThan(1000);
    if (EVIL[file]) {
      expect(err).toBeInstanceOf(UnsafePickleError);
      expect((err as UnsafePickleError).global).toBe(EVIL[file]);
    }
    for (const s of spawned) expect(s).not.toHaveBeenCalled();
    for (const s of printed) expect(s).not.toHaveBeenCalled();
    jest.restoreAllMocks();
  });

  it('reads the two valid reference files', async () => {
    for (const f of ['valid_reference.safetensors', 'valid_reference_torch.bin']) {
      const sd = await readCheckpoint(await fileSource(path.join(BAD_DIR, f)));
      expect(sd.tensors.size).toBeGreaterThan(1);
      await sd.close();
    }
  });
});

describe('fixtures/bad through the CLI', () => {
  beforeAll(requireBuiltCli);

  it.each(BAD)('titok inspect %s: exit 2, one line naming the file, nothing on stdout', async (file) => {
    const r = await titok(['inspect', path.join('test/fixtures/bad', file)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^titok: error: /);
    expect(lines[0]).toContain(file);
    if (EVIL[file]) expect(lines[0]).toContain(`'${EVIL[file]}'`);
  });

  it('titok convert of an evil pickle writes nothing and runs nothing', async () => {
    const out = path.join(require('node:os').tmpdir(), `titok-evil-${process.pid}`);
    const r = await titok(['convert', 'test/fixtures/bad/evil_global_reduce.bin', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('shows a stack trace only with --debug', async () => {
    const r = await titok(['inspect', 'test/fixtures/bad/truncated.safetensors', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/FormatError: .*truncated\.safetensors/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
