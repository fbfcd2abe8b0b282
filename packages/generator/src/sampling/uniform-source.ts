import { InputError } from '@titok/core';
import { philox4x32 } from './philox.js';

/** Which of the two draws of a sampling step is asked for. */
export type UniformDrawKind = 'logits' | 'confidence';

/** One request for uniform numbers made by the MaskGIT sampler. */
export interface UniformDraw {
  /** Sampling step, from 0. */
  step: number;
  /**
   * `logits`: the first draw of a step, N x L x K, for the token-sampling Gumbel noise;
   * `confidence`: the second draw, N x L, for the confidence Gumbel noise.
   */
  kind: UniformDrawKind;
  /** Shape of the draw (row-major). */
  shape: readonly number[];
}

/**
 * Where the sampler's randomness comes from. The sampler asks, at every step and in this order,
 * for the `logits` draw (N x L x K) and then the `confidence` draw (N x L), and for nothing else.
 * Each answer is float32 numbers in [0, 1), row-major, exactly as many as the shape holds.
 * Replace it to replay recorded noise ({@link RecordedUniformSource}) or to plug in another
 * generator.
 */
export interface UniformSource {
  next(draw: UniformDraw): Float32Array | Promise<Float32Array>;
}

/** 2^-24: the spacing of the float32 uniforms this package makes. */
const TWO_POW_M24 = 1 / 16777216;
const TWO_POW_32 = 4294967296;

/**
 * Turns one 32-bit word into a float32 uniform in [0, 1): its top 24 bits times 2^-24, i.e.
 * `(w >>> 8) / 16777216`. Every value is a multiple of 2^-24 in [0, 1 - 2^-24] and is exactly
 * representable in float32, so no rounding happens anywhere.
 */
export function wordToUniform(word: number): number {
  return (word >>> 8) * TWO_POW_M24;
}

function seedWords(seed: number | bigint): [number, number] {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw new InputError(`the seed must be an integer in [0, 2^64), got ${seed}`);
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new InputError(`the seed must be a non-negative integer up to 2^53 - 1, got ${seed}`);
  }
  return [seed % TWO_POW_32, Math.floor(seed / TWO_POW_32)];
}

/**
 * The default, seeded {@link UniformSource}: a Philox4x32-10 stream.
 *
 * Definition (so that any implementation can reproduce it bit for bit):
 * - key = the seed as a 64-bit integer, split into words (k0 = low 32 bits, k1 = high 32 bits);
 * - block b (b = 0, 1, 2, ...) is Philox4x32-10 of the 128-bit counter b (word 0 lowest) under
 *   that key; it yields the words x0, x1, x2, x3 in that order, so word j of the stream is word
 *   j mod 4 of block floor(j / 4);
 * - each uniform consumes the next word w of the stream and is `(w >>> 8) * 2^-24`;
 * - draws take consecutive words: a draw of n numbers advances the stream by exactly n words.
 *
 * A generation therefore uses words in the order step 0 logits (N·L·K), step 0 confidence
 * (N·L), step 1 logits, ... The arithmetic is 32-bit integer math in JavaScript, independent
 * of the tfjs backend.
 */
export class PhiloxUniformSource implements UniformSource {
  private readonly key: [number, number];
  private readonly block = new Uint32Array(4);
  private readonly ctr = new Uint32Array(4);
  private word = 0;

  /** @param seed - an integer in [0, 2^53) (or a bigint in [0, 2^64)) */
  constructor(seed: number | bigint) {
    this.key = seedWords(seed);
  }

  /** Number of 32-bit words consumed so far. */
  get position(): number {
    return this.word;
  }

  /** Fills `out` with the next `out.length` uniforms of the stream. */
  fill(out: Float32Array): Float32Array {
    let j = this.word;
    let loaded = -1;
    for (let i = 0; i < out.length; i++, j++) {
      const b = Math.floor(j / 4);
      if (b !== loaded) {
        this.ctr[0] = b % TWO_POW_32;
        this.ctr[1] = Math.floor(b / TWO_POW_32);
        philox4x32(this.ctr, this.key, this.block);
        loaded = b;
      }
      out[i] = wordToUniform(this.block[j & 3]!);
    }
    this.word = j;
    return out;
  }

  next(draw: UniformDraw): Float32Array {
    return this.fill(new Float32Array(draw.shape.reduce((a, b) => a * b, 1)));
  }
}

/** A {@link PhiloxUniformSource} for `seed`. */
export function seededUniforms(seed: number | bigint): PhiloxUniformSource {
  return new PhiloxUniformSource(seed);
}
