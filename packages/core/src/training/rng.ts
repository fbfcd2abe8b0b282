import { InputError } from '../errors/index.js';

/** The whole state of a {@link TrainingRng}: two integers, so a checkpoint can store it exactly. */
export interface TrainingRngState {
  seed: number;
  /** Words drawn so far. */
  counter: number;
}

const TWO_POW_32 = 4294967296;

/** A 32-bit finaliser (Chris Wellons' lowbias32): a bijection with good avalanche. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The random source of training (data order, masking, class dropout, dead-code restarts): a
 * counter-based generator, word i = hash(seed, i), computed with exact 32-bit integer arithmetic
 * in JavaScript, so the stream is the same on every platform and backend and its state is just
 * `{ seed, counter }` — saved in a checkpoint, restored bit for bit.
 *
 * Definition: with s = the seed (an integer in [0, 2^53)), s0 = s mod 2^32, s1 = floor(s / 2^32),
 * i0 = i mod 2^32, i1 = floor(i / 2^32), word i is
 * `mix32(mix32(i0 ^ mix32(s0 ^ 0x9e3779b9)) ^ mix32(i1 ^ mix32(s1 ^ 0x85ebca6b)) ^ 0x27d4eb2f)`
 * where mix32 is the lowbias32 finaliser.
 */
export class TrainingRng {
  readonly seed: number;
  private counter: number;
  private readonly k0: number;
  private readonly k1: number;

  constructor(seed: number, counter = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`the seed must be a non-negative integer up to 2^53 - 1, got ${seed}`);
    if (!Number.isSafeInteger(counter) || counter < 0) throw new InputError(`the RNG counter must be a non-negative integer, got ${counter}`);
    this.seed = seed;
    this.counter = counter;
    this.k0 = mix32((seed % TWO_POW_32) ^ 0x9e3779b9);
    this.k1 = mix32(Math.floor(seed / TWO_POW_32) ^ 0x85ebca6b);
  }

  /** Restores a generator from {@link TrainingRng.state}. */
  static fromState(state: TrainingRngState): TrainingRng {
    return new TrainingRng(state.seed, state.counter);
  }

  /** The state to save (the next draw continues from it). */
  state(): TrainingRngState {
    return { seed: this.seed, counter: this.counter };
  }

  /** An independent generator for a sub-task, derived from this seed and `stream` (draws nothing here). */
  derive(stream: number): TrainingRng {
    const lo = mix32(this.k0 ^ mix32(stream >>> 0));
    const hi = mix32(this.k1 ^ mix32((stream >>> 0) ^ 0x5bd1e995)) & 0x1fffff;
    return new TrainingRng(hi * TWO_POW_32 + lo);
  }

  /** The next 32-bit word. */
  nextUint32(): number {
    const i = this.counter++;
    const lo = mix32((i % TWO_POW_32) ^ this.k0);
    const hi = mix32(Math.floor(i / TWO_POW_32) ^ this.k1);
    return mix32(lo ^ hi ^ 0x27d4eb2f);
  }

  /** A uniform number in (0, 1): (word + 0.5) / 2^32. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** A uniform integer in [0, n), n ≤ 2^32. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Box-Muller; uses two words). */
  normal(): number {
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    return r * Math.cos(2 * Math.PI * this.uniform());
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
