/**
 * The Python values a restricted unpickler can produce. Plain data maps to JavaScript
 * (None -> null, bool, int -> number or bigint, float -> number, str -> string,
 * bytes -> Uint8Array, list -> array); the rest gets a small class so that nothing is ever
 * mistaken for something it is not.
 */

/** A Python tuple. */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A Python dict or collections.OrderedDict; `state` holds what BUILD set (e.g. `_metadata`). */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  state?: unknown;
  constructor(readonly ordered: boolean) {}
}

/** A Python set or frozenset (kept as data, never used). */
export class PySet {
  constructor(readonly items: unknown[]) {}
}

/** An integer too long to be useful (kept as its byte length only). */
export class PyHugeInt {
  constructor(readonly byteLength: number) {}
}

/** A global the allow-list accepted, e.g. `collections.OrderedDict`. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A short description of a value's type, for error messages (never walks into the value). */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint' || v instanceof PyHugeInt) return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof PySet) return 'set';
  if (v instanceof PyGlobal) return v.qualifiedName;
  if (typeof v === 'object' && v && 'pythonType' in v) return String((v as { pythonType: string }).pythonType);
  return 'object';
}
