/**
 * A minimal pickle writer (protocol 2 opcodes) for the checkpoints titok-js writes and for
 * tests that build checkpoints opcode by opcode. It emits opcodes; it has no notion of objects.
 */
export class PickleBuilder {
  private chunks: number[] = [];

  private u8(...b: number[]): this {
    for (const x of b) this.chunks.push(x & 0xff);
    return this;
  }

  private u32(n: number): this {
    return this.u8(n, n >>> 8, n >>> 16, n >>> 24);
  }

  private text(s: string): this {
    for (const b of new TextEncoder().encode(s)) this.chunks.push(b);
    return this;
  }

  /** Any bytes, as they are (for hand-made opcodes in tests). */
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.chunks.push(bytes[i]! & 0xff);
    return this;
  }

  proto(v = 2): this { return this.u8(0x80, v); }
  stop(): this { return this.u8(0x2e); }
  mark(): this { return this.u8(0x28); }
  none(): this { return this.u8(0x4e); }
  bool(v: boolean): this { return this.u8(v ? 0x88 : 0x89); }
  emptyTuple(): this { return this.u8(0x29); }
  tuple(): this { return this.u8(0x74); }
  emptyDict(): this { return this.u8(0x7d); }
  emptyList(): this { return this.u8(0x5d); }
  setItems(): this { return this.u8(0x75); }
  setItem(): this { return this.u8(0x73); }
  appends(): this { return this.u8(0x65); }
  reduce(): this { return this.u8(0x52); }
  build(): this { return this.u8(0x62); }
  binPersId(): this { return this.u8(0x51); }
  put(i: number): this { return i < 256 ? this.u8(0x71, i) : this.u8(0x72).u32(i); }
  get(i: number): this { return i < 256 ? this.u8(0x68, i) : this.u8(0x6a).u32(i); }

  /** GLOBAL 'module\nname\n'. */
  global(module: string, name: string): this {
    return this.u8(0x63).text(`${module}\n${name}\n`);
  }

  /** STACK_GLOBAL (protocol 4): the module and name as SHORT_BINUNICODE strings. */
  stackGlobal(module: string, name: string): this {
    for (const t of [module, name]) {
      const b = new TextEncoder().encode(t);
      this.u8(0x8c, b.length).raw(b);
    }
    return this.u8(0x93);
  }

  /** A non-negative or negative integer (BININT1/2, BININT or LONG1). */
  int(n: number | bigint): this {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 256) return this.u8(0x4b, n);
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 65536) return this.u8(0x4d, n, n >>> 8);
    if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return this.u8(0x4a).u32(n >>> 0);
    let v = BigInt(n);
    const bytes: number[] = [];
    for (;;) {
      bytes.push(Number(v & 0xffn));
      const sign = bytes[bytes.length - 1]! & 0x80;
      v >>= 8n;
      if ((v === 0n && !sign) || (v === -1n && sign)) break;
    }
    return this.u8(0x8a, bytes.length).raw(bytes);
  }

  /** A tuple of integers (MARK ... TUPLE). */
  intTuple(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  /** BINUNICODE. */
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u8(0x58).u32(b.length).raw(b);
  }

  /** The pickle's bytes. */
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
