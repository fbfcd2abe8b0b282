import { philox4x32 } from './philox.js';
import { PhiloxUniformSource, seededUniforms, wordToUniform } from './uniform-source.js';

const hex = (a: Uint32Array) => Array.from(a, (w) => w.toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10', () => {
  // Known-answer vectors of Random123 (kat_vectors): counter[4] key[2] -> output[4].
  it.each([
    [[0, 0, 0, 0], [0, 0], '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], '408f276d 41c83b0e a20bc7c6 6d5451fd'],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], 'd16cfe09 94fdcceb 5001e420 24126ea1'],
  ])('matches the Random123 known answer for counter %j key %j', (ctr, key, expected) => {
    expect(hex(philox4x32(ctr, key))).toBe(expected);
  });
});

describe('PhiloxUniformSource', () => {
  it('forms uniforms from the top 24 bits of consecutive words of counter blocks 0, 1, ...', () => {
    const u = new PhiloxUniformSource(0).fill(new Float32Array(6));
    const b0 = philox4x32([0, 0, 0, 0], [0, 0]);
    const b1 = philox4x32([1, 0, 0, 0], [0, 0]);
    const words = [...b0, b1[0]!, b1[1]!];
    expect(Array.from(u)).toEqual(words.map((w) => (w >>> 8) / 2 ** 24));
  });

  it('splits a seed into the two key words (low word first)', () => {
    const seed = 0x1234 * 2 ** 32 + 0xabcdef01;
    const u = seededUniforms(seed).fill(new Float32Array(4));
    const b0 = philox4x32([0, 0, 0, 0], [0xabcdef01, 0x1234]);
    expect(Array.from(u)).toEqual(Array.from(b0, wordToUniform));
    expect(Array.from(seededUniforms(BigInt(seed)).fill(new Float32Array(4)))).toEqual(Array.from(u));
  });

  it('continues the stream across draws of any size and stays in [0, 1)', () => {
    const whole = seededUniforms(7).fill(new Float32Array(103));
    const src = seededUniforms(7);
    const parts = [src.next({ step: 0, kind: 'logits', shape: [2, 3, 5] }), src.next({ step: 0, kind: 'confidence', shape: [2, 3] }), src.fill(new Float32Array(67))];
    expect(src.position).toBe(103);
    const joined = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    expect(Array.from(joined)).toEqual(Array.from(whole));
    expect(whole.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(whole).size).toBeGreaterThan(100);
  });

  it('gives different streams for different seeds', () => {
    const a = seededUniforms(1).fill(new Float32Array(16));
    const b = seededUniforms(2).fill(new Float32Array(16));
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('maps the extreme words to 0 and 1 - 2^-24', () => {
    expect(wordToUniform(0)).toBe(0);
    expect(wordToUniform(0xffffffff)).toBe(1 - 2 ** -24);
    expect(Math.fround(wordToUniform(0xffffffff))).toBe(1 - 2 ** -24);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses the seed %p', (seed) => {
    expect(() => seededUniforms(seed)).toThrow(/seed/);
  });
});
