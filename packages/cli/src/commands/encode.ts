import { DiagonalGaussian } from '@titok/core';
import { prepareImages } from '@titok/tokenizer';
import type { CodeSearchOptions, TiTok } from '@titok/tokenizer';
import { UsageError, flag, num, str } from '../lib/args.js';
import { BACKEND_OPTIONS, BACKEND_USAGE, startBackend, stopBackend } from '../lib/backend.js';
import type { CliIO, Command, ParsedArgs } from '../lib/command.js';
import { checkReadable, readImage } from '../lib/image-io.js';
import { MODEL_OPTIONS, MODEL_USAGE, loadTokenizer, modelArg } from '../lib/load-tokenizer.js';
import { SEARCH_OPTIONS, SEARCH_USAGE, searchArg } from '../lib/search.js';

/** One image's result, as `--json` prints it. */
export type EncodedImage = { file: string; tokens: number[] } | { file: string; mean: number[][]; logvar: number[][] };

/** Nested L x C arrays of one batch element of an N x L x C tensor's values. */
function rows(values: Float32Array | Int32Array | Uint8Array, n: number, l: number, c: number): number[][] {
  return Array.from({ length: l }, (_, i) => Array.from(values.subarray((n * l + i) * c, (n * l + i + 1) * c)));
}

/** Encodes `files` in batches; returns one entry per file, in order. */
export async function encodeFiles(titok: TiTok, files: string[], batchSize: number, io: CliIO, search?: CodeSearchOptions): Promise<EncodedImage[]> {
  const out: EncodedImage[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const chunk = files.slice(start, start + batchSize);
    const images = await Promise.all(chunk.map((f) => readImage(f, io.cwd)));
    const batch = prepareImages(images, { size: titok.imageSize });
    try {
      const enc = await titok.encode(batch, { search });
      if (enc instanceof DiagonalGaussian) {
        const [, l, c] = enc.mean.shape as [number, number, number];
        const [mean, logvar] = [await enc.mean.data(), await enc.logvar.data()] as Float32Array[];
        enc.dispose();
        chunk.forEach((file, i) => out.push({ file, mean: rows(mean!, i, l, c), logvar: rows(logvar!, i, l, c) }));
      } else {
        const l = enc.shape[1];
        const ids = (await enc.data()) as Int32Array;
        enc.dispose();
        chunk.forEach((file, i) => out.push({ file, tokens: Array.from(ids.subarray(i * l, (i + 1) * l)) }));
      }
    } finally {
      batch.dispose();
    }
  }
  return out;
}

const command: Command = {
  name: 'encode',
  summary: 'turn images into TiTok tokens (--json for a machine-readable list)',
  usage: `
Usage: titok encode <image...> [--model <src>] [--json] [--search] [--backend <name>]

Reads each image (PNG, JPEG, WebP, AVIF, TIFF, GIF), resizes its shorter side to the model's
size with Pillow's bicubic filter, cuts out the centre and prints its tokens, one line per image.

${MODEL_USAGE}
  --json             print {"model", "backend", "images": [{"file", "tokens"}]} instead;
                     VAE models give "mean" and "logvar" (L x C arrays) for each image
  --batch-size <n>   images encoded together (default 8)
${SEARCH_USAGE}
${BACKEND_USAGE}
`,
  options: {
    ...BACKEND_OPTIONS,
    ...MODEL_OPTIONS,
    ...SEARCH_OPTIONS,
    json: { type: 'boolean' },
    'batch-size': { type: 'string' },
  },
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    const model = modelArg(args, io);
    if (args.positionals.length === 0) throw new UsageError('no images given: titok encode <image...> --model <src>');
    const batchSize = num(args, 'batch-size', { integer: true, min: 1 }) ?? 8;
    const search = searchArg(args);
    await checkReadable(args.positionals, io.cwd);
    const info = await startBackend(args, io);
    let titok: TiTok | undefined;
    try {
      // The search decodes its candidates: it needs the decoder too.
      titok = await loadTokenizer(args, search ? 'all' : 'encoder', io);
      const images = await encodeFiles(titok, args.positionals, batchSize, io, search);
      if (flag(args, 'json')) {
        io.stdout.write(`${JSON.stringify({ model, backend: info.backend, images })}\n`);
      } else {
        for (const img of images) {
          if ('tokens' in img) io.stdout.write(`${img.file}: ${img.tokens.join(' ')}\n`);
          else io.stdout.write(`${img.file}: ${img.mean.length} continuous tokens x ${img.mean[0]?.length ?? 0} channels (use --json for the values)\n`);
        }
      }
      return 0;
    } finally {
      titok?.dispose();
      await stopBackend();
    }
  },
};

export default command;
