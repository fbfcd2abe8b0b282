import { FormatError, UnsafePickleError } from '@titok/core';
import { PyDict, PyHugeInt, PySet, PyTuple, describe } from './values.js';

/**
 * What the caller decides. The unpickler itself only moves data around: every global goes
 * through `findGlobal` (an allow-list that throws {@link UnsafePickleError}), every call
 * through `call`, so nothing in a file is ever executed.
 */
export interface UnpickleHooks {
  /** GLOBAL / STACK_GLOBAL / INST: return a stand-in for an allowed global, or throw. */
  findGlobal(module: string, name: string): unknown;
  /** REDUCE / NEWOBJ / OBJ / INST: apply an allowed global to plain-data arguments. */
  call(callable: unknown, args: readonly unknown[]): unknown;
  /** BINPERSID: resolve a persistent id (PyTorch uses them for storages). */
  persistentLoad(pid: unknown): unknown;
  /** BUILD: set state on an object; the default accepts it only on dicts. */
  build?(obj: unknown, state: unknown): void;
}

/** Thrown when the bytes end before STOP and `final` is false: read more and try again. */
export class NeedMoreData extends Error {}

/** Result of {@link unpickle}. */
export interface Unpickled {
  value: unknown;
  /** Offset just after the STOP opcode. */
  end: number;
}

const MARK = Symbol('mark');
const dec = new TextDecoder('utf-8', { fatal: false });
const latin1 = new TextDecoder('latin1');

function signedLE(b: Uint8Array): number | bigint | PyHugeInt {
  if (b.length === 0) return 0;
  if (b.length > 16) return new PyHugeInt(b.length);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function unescapeRawUnicode(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string, b: string) => {
    const cp = parseInt(a ?? b, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}

function parseQuoted(s: string, fail: (m: string) => never): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) fail('STRING argument is not a quoted string');
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) =>
    e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? e,
  );
}

/**
 * Runs a pickle (protocols 0 to 5) as data only. Bounded: each opcode consumes at least one
 * byte, every length is checked against the bytes present before anything is allocated, and
 * out-of-band buffers and the extension registry are refused.
 *
 * @param bytes - the buffer holding the pickle
 * @param start - where the pickle starts in `bytes`
 * @param final - false when `bytes` may be a prefix of a longer stream ({@link NeedMoreData})
 */
export function unpickle(bytes: Uint8Array, start: number, hooks: UnpickleHooks, file: string, final = true): Unpickled {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = start;

  const fail = (m: string): never => {
    throw new FormatError(`pickle: ${m} (at byte ${p - start})`, { file });
  };
  const need = (n: number): void => {
    if (!Number.isSafeInteger(n) || n < 0) fail(`bad length ${n}`);
    if (p + n > bytes.length) {
      if (!final) throw new NeedMoreData();
      fail(`truncated: ${n} more bytes needed, ${bytes.length - p} left`);
    }
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(p, p + n);
    p += n;
    return out;
  };
  const u8 = () => (need(1), bytes[p++]!);
  const u16 = () => (need(2), (p += 2), view.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), view.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), view.getInt32(p - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    return Number(v);
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, p);
    if (nl < 0) {
      if (!final) throw new NeedMoreData();
      fail('truncated text argument');
    }
    const s = latin1.decode(bytes.subarray(p, nl));
    p = nl + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]!)) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack');
    return stack.splice(m!);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} is not defined`);
    return memo.get(i);
  };
  const setItems = (d: unknown, kv: unknown[]): void => {
    if (!(d instanceof PyDict)) fail(`SETITEM(S) on a ${describe(d)}`);
    if (kv.length % 2) fail('odd number of items for SETITEMS');
    for (let i = 0; i < kv.length; i += 2) (d as PyDict).map.set(kv[i], kv[i + 1]);
  };
  const appendItems = (l: unknown, items: unknown[]): void => {
    if (Array.isArray(l)) for (const x of items) l.push(x);
    else if (l instanceof PySet) for (const x of items) l.items.push(x);
    else fail(`APPEND(S) on a ${describe(l)}`);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME (advisory)
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail('STOP with a malformed stack');
        return { value: stack[0], end: p };
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(signedLE(take(u8()))); break; // LONG1
      case 0x8b: stack.push(signedLE(take(i32()))); break; // LONG4
      case 0x49: { // INT (text)
        const s = line().trim();
        if (s === '00' || s === '01') stack.push(s === '01');
        else if (/^[-+]?\d{1,30}$/.test(s)) stack.push(Number.isSafeInteger(Number(s)) ? Number(s) : BigInt(s));
        else fail(`bad INT ${JSON.stringify(s.slice(0, 40))}`);
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().trim().replace(/L$/, '');
        if (!/^[-+]?\d{1,4000}$/.test(s)) fail('bad LONG');
        stack.push(s.length > 40 ? new PyHugeInt(s.length) : Number.isSafeInteger(Number(s)) ? Number(s) : BigInt(s));
        break;
      }
      case 0x46: { // FLOAT (text)
        const v = Number(line().trim());
        stack.push(v);
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(p, false)); p += 8; break; // BINFLOAT (big-endian)
      case 0x53: stack.push(parseQuoted(line().trim(), fail)); break; // STRING
      case 0x54: stack.push(dec.decode(take(i32()))); break; // BINSTRING
      case 0x55: stack.push(dec.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x56: stack.push(unescapeRawUnicode(line())); break; // UNICODE
      case 0x58: stack.push(dec.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(dec.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(dec.decode(take(u64()))); break; // BINUNICODE8
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x97: // NEXT_BUFFER
      case 0x98: fail('out-of-band buffers are not supported'); break; // READONLY_BUFFER
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x7d: stack.push(new PyDict(false)); break; // EMPTY_DICT
      case 0x64: { const d = new PyDict(false); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x8f: stack.push(new PySet([])); break; // EMPTY_SET
      case 0x91: stack.push(new PySet(popMark())); break; // FROZENSET
      case 0x90: { const items = popMark(); appendItems(top(), items); break; } // ADDITEMS
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x67: stack.push(memoGet(Number(line()))); break; // GET
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.findGlobal(module as string, name as string));
        break;
      }
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: { // EXT4
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        throw new UnsafePickleError(`copyreg extension #${code}`, { file });
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        const cls = hooks.findGlobal(module, name);
        stack.push(hooks.call(cls, popMark()));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        stack.push(hooks.call(items[0], items.slice(1)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) fail(`REDUCE arguments must be a tuple, got ${describe(args)}`);
        stack.push(hooks.call(fn, (args as PyTuple).items));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) fail('NEWOBJ arguments must be a tuple');
        stack.push(hooks.call(cls, (args as PyTuple).items));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple) || !(kwargs instanceof PyDict) || kwargs.map.size) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(hooks.call(cls, (args as PyTuple).items));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (hooks.build) hooks.build(obj, state);
        else if (obj instanceof PyDict) obj.state = state;
        else fail(`BUILD on a ${describe(obj)}`);
        break;
      }
      case 0x50: // PERSID (text)
        stack.push(hooks.persistentLoad(line()));
        break;
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        p--;
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}
