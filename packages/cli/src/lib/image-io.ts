/**
 * Reading and writing image files for the CLI, with sharp (libvips): PNG, JPEG, WebP, AVIF,
 * TIFF, GIF, HEIF where libvips has it. Files are auto-oriented from their EXIF tag, turned
 * into 8-bit sRGB (an embedded ICC profile is honoured; greyscale is replicated to RGB) and
 * alpha is dropped, as Pillow's `convert('RGB')` does in the reference pipeline.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '@titok/core';
import sharp from 'sharp';

/** An 8-bit RGB image read from a file. */
export interface RgbImage {
  file: string;
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

const WRITERS: Record<string, keyof sharp.FormatEnum> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
  '.avif': 'avif',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.gif': 'gif',
};

function sharpMessage(e: unknown): string {
  const m = String((e as Error)?.message ?? e).split('\n')[0]!;
  if (/unsupported image format/i.test(m)) return 'not an image file sharp can read (PNG, JPEG, WebP, AVIF, TIFF, GIF)';
  return m.replace(/^Input (file|buffer) (is missing|contains unsupported image format)/i, (s) => s.toLowerCase());
}

/** Checks, before any work is done, that every input file exists. @throws InputError naming the first missing one */
export async function checkReadable(files: string[], cwd = process.cwd()): Promise<void> {
  for (const f of files) {
    const st = await fsp.stat(path.resolve(cwd, f)).catch(() => undefined);
    if (!st) throw new InputError(`${f}: no such file`, { file: f });
    if (!st.isFile()) throw new InputError(`${f}: not a file`, { file: f });
  }
}

/** Reads an image file as 8-bit RGB. @throws InputError naming the file */
export async function readImage(file: string, cwd = process.cwd()): Promise<RgbImage> {
  const full = path.resolve(cwd, file);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not an image' : (e as Error).message;
    throw new InputError(`${file}: ${why}`, { file });
  }
  try {
    const { data, info } = await sharp(bytes)
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of 3`);
    return { file, data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    throw new InputError(`${file}: ${sharpMessage(e)}`, { file, cause: e });
  }
}

/** The image format sharp writes for a file name. @throws InputError for an unknown extension */
export function formatFor(file: string): keyof sharp.FormatEnum {
  const ext = path.extname(file).toLowerCase();
  const f = WRITERS[ext];
  if (!f) {
    throw new InputError(`${file}: cannot tell the image type from '${ext || '(no extension)'}' (use ${Object.keys(WRITERS).join(', ')})`, { file });
  }
  return f;
}

/**
 * The files an image batch is written to: `out` itself for one image, else `name-0.png`,
 * `name-1.png`, ... next to it.
 */
export function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const ext = path.extname(out);
  const stem = out.slice(0, out.length - ext.length);
  return Array.from({ length: count }, (_, i) => `${stem}-${i}${ext}`);
}

/** Refuses, before any work is done, to overwrite existing files unless `force`. */
export async function checkWritable(files: string[], force: boolean, cwd = process.cwd()): Promise<void> {
  for (const f of files) {
    formatFor(f);
    const full = path.resolve(cwd, f);
    const dir = path.dirname(full);
    const st = await fsp.stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new InputError(`${f}: the folder ${path.dirname(f) || '.'} does not exist`, { file: f });
    if (force) continue;
    if (await fsp.stat(full).then(() => true, () => false)) {
      throw new InputError(`${f} already exists (add --force to overwrite it)`, { file: f });
    }
  }
}

/** Writes 8-bit RGB pixels to `file` in the format its extension names; never overwrites without `force`. */
export async function writeImage(
  file: string,
  image: { data: Uint8Array; width: number; height: number },
  options: { force?: boolean; cwd?: string } = {},
): Promise<void> {
  const format = formatFor(file);
  const encoded = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .toFormat(format, format === 'jpeg' ? { quality: 95 } : {})
    .toBuffer();
  try {
    await fsp.writeFile(path.resolve(options.cwd ?? process.cwd(), file), encoded, { flag: options.force ? 'w' : 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(`${file} already exists (add --force to overwrite it)`, { file });
    throw new InputError(`${file}: ${(e as Error).message}`, { file, cause: e });
  }
}
