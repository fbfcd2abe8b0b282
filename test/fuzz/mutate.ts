/**
 * Seeded mutations of checkpoint files: bit flips, byte and integer overwrites with boundary
 * values, truncations, insertions, deletions, splices, and structure-aware header edits
 * (safetensors/model.json JSON, zip directory fields, pickle bytes).
 */

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Kind = 'safetensors' | 'zip' | 'legacy' | 'json';

interface Ctx {
  rnd: () => number;
  kind: Kind;
}

const int = (c: Ctx, n: number) => Math.floor(c.rnd() * n);
const pick = <T>(c: Ctx, xs: readonly T[]): T => xs[int(c, xs.length)]!;

/** Offsets where the structure lives: the first and last 4 KB (headers, pickles, zip directory). */
function offset(c: Ctx, b: Uint8Array): number {
  if (b.length === 0) return 0;
  const r = c.rnd();
  if (r < 0.4) return int(c, Math.min(b.length, 4096));
  if (r < 0.7) return Math.max(0, b.length - 1 - int(c, Math.min(b.length, 4096)));
  return int(c, b.length);
}

function interesting(c: Ctx, size: number): bigint {
  return pick(c, [0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, BigInt(size), BigInt(size + 1), BigInt(Math.max(0, size - 1)), 2n ** 53n, 2n ** 62n, 2n ** 63n - 1n, 2n ** 64n - 1n, BigInt(int(c, 1 << 20))]);
}

function writeInt(b: Uint8Array, at: number, v: bigint, width: number): void {
  for (let i = 0; i < width && at + i < b.length; i++) b[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

const MUTATORS: ((c: Ctx, b: Uint8Array) => Uint8Array)[] = [
  // bit flips
  (c, b) => {
    const out = b.slice();
    for (let i = 1 + int(c, 16); i > 0 && out.length; i--) out[offset(c, out)]! ^= 1 << int(c, 8);
    return out;
  },
  // boundary bytes
  (c, b) => {
    const out = b.slice();
    for (let i = 1 + int(c, 8); i > 0 && out.length; i--) out[offset(c, out)] = pick(c, [0, 0xff, 0x7f, 0x80, 0x2e, 0x28, 0x7b, int(c, 256)]);
    return out;
  },
  // boundary integers (16/32/64-bit little endian)
  (c, b) => {
    const out = b.slice();
    writeInt(out, offset(c, out), interesting(c, b.length), pick(c, [2, 4, 8]));
    return out;
  },
  // truncation
  (c, b) => b.slice(0, c.rnd() < 0.2 ? int(c, 32) : int(c, b.length + 1)),
  // extension with zeros or noise
  (c, b) => {
    const extra = Uint8Array.from({ length: 1 + int(c, 4096) }, () => (c.rnd() < 0.5 ? 0 : int(c, 256)));
    const out = new Uint8Array(b.length + extra.length);
    out.set(b);
    out.set(extra, b.length);
    return out;
  },
  // delete a range
  (c, b) => {
    const at = offset(c, b);
    const n = Math.min(1 + int(c, 64), b.length - at);
    const out = new Uint8Array(b.length - n);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + n), at);
    return out;
  },
  // insert bytes
  (c, b) => {
    const at = offset(c, b);
    const ins = Uint8Array.from({ length: 1 + int(c, 32) }, () => int(c, 256));
    const out = new Uint8Array(b.length + ins.length);
    out.set(b.subarray(0, at));
    out.set(ins, at);
    out.set(b.subarray(at), at + ins.length);
    return out;
  },
  // splice: copy a chunk of the file over another place
  (c, b) => {
    const out = b.slice();
    const from = int(c, b.length || 1);
    const to = offset(c, b);
    const n = int(c, 256);
    out.set(b.subarray(from, from + Math.min(n, out.length - to)), to);
    return out;
  },
  // structure-aware edits
  (c, b) => structural(c, b),
];

function editJson(c: Ctx, value: unknown): unknown {
  const v = value as Record<string, unknown>;
  if (!v || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  const bad = (): unknown => pick(c, [-1, 0, 1, 2 ** 31, 2 ** 53, 2 ** 60, 1.5, 'F24', 'F16', 'I64', 'BOOL', null, [], {}, [2 ** 40, 2 ** 40], [-1, 3], '', 'x'.repeat(100), true]);
  const r = c.rnd();
  if (r < 0.1 && keys.length) delete v[pick(c, keys)];
  else if (r < 0.2) v[pick(c, ['__metadata__', 'extra', keys[0] ?? 'a'])] = { dtype: 'F32', shape: [int(c, 9)], data_offsets: [int(c, 64), int(c, 128)] };
  else if (keys.length) {
    const k = pick(c, keys);
    const x = v[k];
    if (Array.isArray(x) && x.length && c.rnd() < 0.7) x[int(c, x.length)] = bad();
    else if (x && typeof x === 'object' && c.rnd() < 0.8) editJson(c, x);
    else v[k] = bad();
  }
  return v;
}

function structural(c: Ctx, b: Uint8Array): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (c.kind === 'safetensors' && b.length >= 8) {
    const n = Number(dv.getBigUint64(0, true));
    if (n > b.length - 8) return b;
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
    } catch {
      return b;
    }
    const text = new TextEncoder().encode(JSON.stringify(editJson(c, header)));
    const out = new Uint8Array(8 + text.length + (b.length - 8 - n));
    new DataView(out.buffer).setBigUint64(0, BigInt(c.rnd() < 0.9 ? text.length : interesting(c, b.length)) & (2n ** 64n - 1n), true);
    out.set(text, 8);
    out.set(b.subarray(8 + n), 8 + text.length);
    return out;
  }
  if (c.kind === 'json') {
    try {
      return new TextEncoder().encode(JSON.stringify(editJson(c, JSON.parse(new TextDecoder().decode(b)))));
    } catch {
      return b;
    }
  }
  const out = b.slice();
  if (c.kind === 'zip') {
    // a field of the end record or of a central directory entry, set to a boundary value
    const sigs = [0x06054b50, 0x02014b50, 0x04034b50];
    const at: number[] = [];
    for (let i = Math.max(0, b.length - 70000); i + 4 <= b.length; i++) if (sigs.includes(dv.getUint32(i, true))) at.push(i);
    if (!at.length) return out;
    const base = pick(c, at);
    writeInt(out, base + pick(c, [4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 42]), interesting(c, b.length), pick(c, [2, 4]));
    return out;
  }
  // legacy: overwrite an integer argument in the pickles at the front
  const limit = Math.min(b.length, 30000);
  for (let tries = 0; tries < 20; tries++) {
    const i = int(c, limit);
    if ([0x4b, 0x4d, 0x4a, 0x8a, 0x58].includes(b[i]!)) {
      writeInt(out, i + 1, interesting(c, b.length), b[i] === 0x4b ? 1 : b[i] === 0x4d ? 2 : 4);
      break;
    }
  }
  return out;
}

/** Applies 1 to 3 random mutations; returns the result and their names. */
export function mutate(bytes: Uint8Array, kind: Kind, rnd: () => number): { bytes: Uint8Array; steps: string[] } {
  const c: Ctx = { rnd, kind };
  const names = ['flip', 'bytes', 'int', 'truncate', 'extend', 'delete', 'insert', 'splice', 'structure'];
  let b = bytes;
  const steps: string[] = [];
  for (let i = 1 + int(c, 3); i > 0; i--) {
    const m = c.rnd() < 0.3 ? 8 : int(c, MUTATORS.length);
    b = MUTATORS[m]!(c, b);
    steps.push(names[m]!);
  }
  return { bytes: b, steps };
}
