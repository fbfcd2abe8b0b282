import { FormatError, UnsafePickleError } from '@titok/core';
import { unpickle, NeedMoreData } from './unpickler.js';
import type { UnpickleHooks } from './unpickler.js';
import { PyDict, PyGlobal, PySet, PyTuple } from './values.js';
import { PickleBuilder } from './pickler.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

/** Hooks that refuse every global (what a state-dict reader does for anything unknown). */
const strict: UnpickleHooks = {
  findGlobal: (m, n) => {
    throw new UnsafePickleError(`${m}.${n}`);
  },
  call: () => {
    throw new Error('no call expected');
  },
  persistentLoad: () => {
    throw new Error('no persistent id expected');
  },
};

/** Plain JS view of an unpickled value, for comparisons. */
function plain(v: unknown): unknown {
  if (v instanceof PyDict) return Object.fromEntries([...v.map].map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (v instanceof PySet) return { set: v.items.map(plain) };
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

// pickle.dumps({'a': [1, -2, 2.5, 'xé', None, True, False, (1, 2, 3), 2**40, -2**70], 'b': {'c': ()}}, protocol=N)
// written by CPython 3; the same object at every protocol.
const GOLDEN: Record<number, string> = {
  0: '286470300a56610a70310a286c70320a49310a61492d320a6146322e350a615678e90a70330a614e614930310a614930300a612849310a49320a49330a7470340a614c313039393531313632373737364c0a614c2d313138303539313632303731373431313330333432344c0a617356620a70350a286470360a56630a70370a287473732e',
  1: '7d71002858010000006171015d7102284b014afeffffff474004000000000000580300000078c3a971034e4930310a4930300a284b014b024b037471044c313039393531313632373737364c0a4c2d313138303539313632303731373431313330333432344c0a6558010000006271057d710658010000006371072973752e',
  2: '80027d71002858010000006171015d7102284b014afeffffff474004000000000000580300000078c3a971034e88894b014b024b038771048a060000000000018a090000000000000000c06558010000006271057d710658010000006371072973752e',
  3: '80037d71002858010000006171015d7102284b014afeffffff474004000000000000580300000078c3a971034e88894b014b024b038771048a060000000000018a090000000000000000c06558010000006271057d710658010000006371072973752e',
  4: '8004954d000000000000007d94288c0161945d94284b014afeffffff4740040000000000008c0378c3a9944e88894b014b024b0387948a060000000000018a090000000000000000c0658c0162947d948c0163942973752e',
  5: '8005954d000000000000007d94288c0161945d94284b014afeffffff4740040000000000008c0378c3a9944e88894b014b024b0387948a060000000000018a090000000000000000c0658c0162947d948c0163942973752e',
};

describe('unpickle', () => {
  it.each(Object.keys(GOLDEN).map(Number))('decodes what CPython writes at protocol %i', (protocol) => {
    const bytes = hex(GOLDEN[protocol]!);
    const { value, end } = unpickle(bytes, 0, strict, 'golden.pkl');
    expect(end).toBe(bytes.length);
    expect(plain(value)).toEqual({
      a: [1, -2, 2.5, 'x\u00e9', null, true, false, { tuple: [1, 2, 3] }, 2 ** 40, -(2n ** 70n)],
      b: { c: { tuple: [] } },
    });
  });

  it('decodes bytes, bytearray, sets and frozensets (protocols 3-5)', () => {
    expect(plain(unpickle(hex('80037d710058010000007971014301797102732e'), 0, strict, 'x').value)).toEqual({ y: Uint8Array.of(0x79) });
    expect(unpickle(hex('8005950d000000000000009602000000000000006162942e'), 0, strict, 'x').value).toEqual(Uint8Array.of(0x61, 0x62));
    const sets = plain(unpickle(hex('80049518000000000000007d94288c017394284b0191948c0174948f94284b0290752e'), 0, strict, 'x').value);
    expect(sets).toEqual({ s: { set: [1] }, t: { set: [2] } });
  });

  it('resolves STACK_GLOBAL through the hooks and never calls anything itself', () => {
    // pickle.dumps(collections.OrderedDict([('k', 1)]), protocol=4)
    const bytes = hex('80049529000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b01732e');
    const seen: string[] = [];
    const hooks: UnpickleHooks = {
      ...strict,
      findGlobal: (m, n) => (seen.push(`${m}.${n}`), new PyGlobal(m, n)),
      call: (fn, args) => {
        expect(fn).toBeInstanceOf(PyGlobal);
        expect(args).toEqual([]);
        return new PyDict(true);
      },
    };
    expect(plain(unpickle(bytes, 0, hooks, 'x').value)).toEqual({ k: 1 });
    expect(seen).toEqual(['collections.OrderedDict']);
  });

  it('refuses a forbidden global before anything runs', () => {
    const p = new PickleBuilder().proto(2).global('os', 'system').str('true').raw([0x85]).reduce().stop().bytes();
    const err = (() => {
      try {
        unpickle(p, 0, strict, 'evil.pkl');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsafePickleError);
    expect((err as UnsafePickleError).global).toBe('os.system');
  });

  it.each([
    ['a truncated string', [0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x61], /truncated/],
    ['LONG4 claiming 2 GB', [0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f], /truncated/],
    ['BINUNICODE8 claiming 2^40 bytes', [0x80, 4, 0x8d, 0, 0, 0, 0, 0, 1, 0, 0], /truncated/],
    ['BINBYTES8 above 2^53', [0x80, 4, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0xff], /too large/],
    ['a memo key that was never set', [0x80, 2, 0x68, 7, 0x2e], /memo key 7/],
    ['an unknown opcode', [0x80, 2, 0xff, 0x2e], /unknown opcode 0xff/],
    ['a stack underflow', [0x80, 2, 0x52, 0x2e], /stack underflow/],
    ['STOP with two values', [0x80, 2, 0x4e, 0x4e, 0x2e], /malformed stack/],
    ['an out-of-band buffer', [0x80, 5, 0x97, 0x2e], /out-of-band/],
    ['no STOP', [0x80, 2, 0x4e], /truncated/],
    ['SETITEMS on a list', [0x80, 2, 0x5d, 0x28, 0x4e, 0x4e, 0x75, 0x2e], /SETITEM\(S\) on a list/],
    ['an unsupported protocol', [0x80, 9, 0x4e, 0x2e], /unsupported pickle protocol/],
  ])('fails cleanly on %s', (_, bytes, why) => {
    const t = Date.now();
    expect(() => unpickle(Uint8Array.from(bytes as number[]), 0, strict, 'bad.pkl')).toThrow(why as RegExp);
    expect(() => unpickle(Uint8Array.from(bytes as number[]), 0, strict, 'bad.pkl')).toThrow(FormatError);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('refuses the extension registry', () => {
    expect(() => unpickle(Uint8Array.of(0x80, 2, 0x82, 1, 0x2e), 0, strict, 'x')).toThrow(UnsafePickleError);
  });

  it('asks for more data when the bytes may be a prefix', () => {
    const full = hex(GOLDEN[2]!);
    expect(() => unpickle(full.subarray(0, 20), 0, strict, 'x', false)).toThrow(NeedMoreData);
    expect(unpickle(full, 0, strict, 'x', false).end).toBe(full.length);
  });

  it('keeps deep nesting and shared references without recursion', () => {
    const b = new PickleBuilder().proto(2);
    const depth = 50_000;
    for (let i = 0; i < depth; i++) b.emptyList().put(0).raw([0x28]); // [ MARK [ MARK ...
    b.none();
    for (let i = 0; i < depth; i++) b.appends();
    const v = unpickle(b.stop().bytes(), 0, strict, 'deep.pkl').value as unknown[];
    let d = 0;
    for (let x: unknown = v; Array.isArray(x); x = x[0]) d++;
    expect(d).toBe(depth);
  });
});
