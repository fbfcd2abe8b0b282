import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../main.js';
import { defaultModelDir } from './default-model.js';

const PACKAGE = path.resolve(__dirname, '../..');

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b) => (text += b));
  return { stream, text: () => text };
}

describe('the default model lookup', () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'titok-cli-default-'));
  afterAll(() => fs.rmSync(outside, { recursive: true, force: true }));

  it('finds the bundled model through TITOK_CLI_ROOT, or above the working directory', () => {
    const bundled = path.join(PACKAGE, 'models', 'fashion-mnist');
    expect(defaultModelDir({ TITOK_CLI_ROOT: PACKAGE }, outside)).toBe(bundled);
    expect(defaultModelDir({}, path.join(PACKAGE, 'src'))).toBe(bundled);
    expect(defaultModelDir({ TITOK_CLI_ROOT: path.join(outside, 'nowhere') }, outside)).toBeUndefined();
  });

  // The commands look with the environment and folder main() was given, not the process's own.
  it.each([
    [['reconstruct', 'x.png', '--out', 'y.png'], '--model'],
    [['encode', 'x.png'], '--model'],
    [['decode', 'tokens.json', '--out', 'y.png'], '--model'],
    [['generate', '--class', 'sneaker'], '--generator'],
  ])('titok %j run from elsewhere asks for %s', async (argv, option) => {
    const [stdout, stderr] = [capture(), capture()];
    const code = await main(argv, { cwd: outside, env: { TITOK_CLI_ROOT: path.join(outside, 'nowhere') }, stdout: stdout.stream, stderr: stderr.stream });
    expect(code).toBe(2);
    expect(stderr.text()).toContain(`titok: error: ${option} is required: the bundled default model`);
  });

  it('uses the bundled model that the given environment points to', async () => {
    const [stdout, stderr] = [capture(), capture()];
    const code = await main(['reconstruct', path.join(outside, 'nowhere.png'), '--out', path.join(outside, 'y.png')], {
      cwd: outside,
      env: { TITOK_CLI_ROOT: PACKAGE },
      stdout: stdout.stream,
      stderr: stderr.stream,
    });
    // the model is found (the process's own cwd would find it too); the missing picture is what fails
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/nowhere\.png/);
    expect(stderr.text()).not.toContain('is required');
  });
});
