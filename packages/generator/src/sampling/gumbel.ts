const f32 = Math.fround;
/** 1e-20 as float32: the clamp of the reference's `log(t.clamp(min=1e-20))`. */
const EPS = f32(1e-20);

/**
 * Gumbel noise from one uniform, in float32 as the reference computes it:
 * `g = -log(max(-log(max(u, 1e-20)), 1e-20))` (natural logarithms). Each operation is rounded
 * to float32; a log computed in double and rounded once is float32's correctly rounded log.
 */
export function gumbelF32(u: number): number {
  const inner = f32(Math.log(Math.max(u, EPS)));
  return -f32(Math.log(Math.max(-inner, EPS)));
}

/** Fills `out` (or a new array) with {@link gumbelF32} of every uniform. */
export function gumbelNoise(uniforms: Float32Array, out = new Float32Array(uniforms.length)): Float32Array {
  for (let i = 0; i < uniforms.length; i++) out[i] = gumbelF32(uniforms[i]!);
  return out;
}
