import { flag, UsageError, str } from '../lib/args.js';
import { BACKEND_OPTIONS, BACKEND_USAGE, startBackend, stopBackend } from '../lib/backend.js';
import type { CliIO, Command, ParsedArgs } from '../lib/command.js';
import { checkWritable, outputPaths, writeImage } from '../lib/image-io.js';
import { MODEL_OPTIONS, MODEL_USAGE, loadTokenizer, modelArg } from '../lib/load-tokenizer.js';
import { readTokensFile } from '../lib/tokens-file.js';
import type { TiTok } from '@titok/tokenizer';

const command: Command = {
  name: 'decode',
  summary: 'turn tokens (from `titok encode --json`) back into images',
  usage: `
Usage: titok decode <tokens.json> [--model <src>] --out <file.png> [--force] [--backend <name>]

<tokens.json> is what \`titok encode --json\` prints, or a bare JSON array of token ids (one
image) or of such arrays (several). VAE models decode the posterior mean ("mean").
One image is written to --out; several to <name>-0.png, <name>-1.png, ... The type follows
the extension: .png, .jpg, .webp, .avif, .tiff, .gif.

${MODEL_USAGE}
  --out <file>       the image to write (required)
  --force            overwrite existing files
${BACKEND_USAGE}
`,
  options: {
    ...BACKEND_OPTIONS,
    ...MODEL_OPTIONS,
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  },
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    modelArg(args, io);
    const out = str(args, 'out');
    if (!out) throw new UsageError('--out <file.png> is required');
    if (args.positionals.length !== 1) throw new UsageError('give exactly one tokens file: titok decode <tokens.json> --model <src> --out <file.png>');
    const force = flag(args, 'force');
    await checkWritable([out], force, io.cwd);
    await startBackend(args, io);
    let titok: TiTok | undefined;
    try {
      titok = await loadTokenizer(args, 'decoder', io);
      const vae = titok.config.quantizeMode !== 'vq';
      const tokens = await readTokensFile(args.positionals[0]!, io.cwd, vae);
      const count = (tokens.ids ?? tokens.latents)!.length;
      const paths = outputPaths(out, count);
      await checkWritable(paths, force, io.cwd);
      const images = await titok.decode((tokens.ids ?? tokens.latents)!, { output: 'uint8' });
      const [, h, w] = images.shape;
      const bytes = Uint8Array.from(await images.data());
      images.dispose();
      for (const [i, p] of paths.entries()) {
        await writeImage(p, { data: bytes.subarray(i * h * w * 3, (i + 1) * h * w * 3), width: w, height: h }, { force, cwd: io.cwd });
        io.stdout.write(`wrote ${p} (${w}x${h})\n`);
      }
      return 0;
    } finally {
      titok?.dispose();
      await stopBackend();
    }
  },
};

export default command;
