import * as tf from '@tensorflow/tfjs-core';
import { DiagonalGaussian } from '@titok/core';
import { prepareImages, resizeAndCrop } from '@titok/tokenizer';
import type { TiTok } from '@titok/tokenizer';
import { UsageError, flag, str } from '../lib/args.js';
import { BACKEND_OPTIONS, BACKEND_USAGE, startBackend, stopBackend } from '../lib/backend.js';
import type { CliIO, Command, ParsedArgs } from '../lib/command.js';
import { checkWritable, readImage, writeImage } from '../lib/image-io.js';
import { MODEL_OPTIONS, MODEL_USAGE, loadTokenizer, modelArg } from '../lib/load-tokenizer.js';
import { psnr } from '../lib/psnr.js';
import { SEARCH_OPTIONS, SEARCH_USAGE, searchArg } from '../lib/search.js';

const command: Command = {
  name: 'reconstruct',
  summary: 'encode an image and decode it again; prints the tokens and the PSNR',
  usage: `
Usage: titok reconstruct <image> [--model <src>] --out <file.png> [--force] [--search] [--backend <name>]

Resizes and centre-crops the image to the model's size, encodes it, decodes the tokens and
writes the result. Prints the tokens (VAE models: their shape; the posterior mean is decoded)
and the PSNR of the reconstruction against the resized input, in dB.

${MODEL_USAGE}
  --out <file>       the image to write (required): .png, .jpg, .webp, .avif, .tiff, .gif
  --force            overwrite an existing file
${SEARCH_USAGE}
${BACKEND_USAGE}
`,
  options: {
    ...BACKEND_OPTIONS,
    ...MODEL_OPTIONS,
    ...SEARCH_OPTIONS,
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  },
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    modelArg(args, io);
    const out = str(args, 'out');
    if (!out) throw new UsageError('--out <file.png> is required');
    if (args.positionals.length !== 1) throw new UsageError('give exactly one image: titok reconstruct <image> --model <src> --out <file.png>');
    const force = flag(args, 'force');
    const search = searchArg(args);
    await checkWritable([out], force, io.cwd);
    const source = await readImage(args.positionals[0]!, io.cwd);
    await startBackend(args, io);
    let titok: TiTok | undefined;
    try {
      titok = await loadTokenizer(args, 'all', io);
      const size = titok.imageSize;
      const input = resizeAndCrop(source, size) as { data: Uint8Array; width: number; height: number };
      const batch = prepareImages(input, { size });
      const enc = await titok.encode(batch, { search }).finally(() => batch.dispose());
      let decoded: tf.Tensor4D;
      let summary: string;
      if (enc instanceof DiagonalGaussian) {
        const [, l, c] = enc.mean.shape;
        summary = `${l} continuous tokens x ${c} channels (decoding the posterior mean)`;
        const mean = enc.mode();
        enc.dispose();
        decoded = await titok.decode(mean, { output: 'uint8' }).finally(() => mean.dispose());
      } else {
        summary = Array.from(await enc.data()).join(' ');
        decoded = await titok.decode(enc, { output: 'uint8' }).finally(() => enc.dispose());
      }
      const bytes = Uint8Array.from(await decoded.data());
      decoded.dispose();
      await writeImage(out, { data: bytes, width: size, height: size }, { force, cwd: io.cwd });
      const db = psnr(input.data, bytes);
      io.stdout.write(`tokens: ${summary}\n`);
      io.stdout.write(`PSNR: ${Number.isFinite(db) ? db.toFixed(2) : 'inf'} dB (${size}x${size}, against the resized input)\n`);
      io.stdout.write(`wrote ${out}\n`);
      return 0;
    } finally {
      titok?.dispose();
      await stopBackend();
    }
  },
};

export default command;
