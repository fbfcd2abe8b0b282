/*
 * titok-js element-wise kernels for tfjs-backend-wasm's heap, in WebAssembly SIMD.
 *
 * Built by build.sh (clang --target=wasm32 -msimd128) into a module that imports tfjs'
 * memory and uses no stack, no globals and no data of its own: every pointer is a byte offset
 * into tfjs' heap that the caller owns. Results agree with the float32 reference within a few
 * units in the last place (erf: 1.5e-7 absolute, Abramowitz & Stegun 7.1.26, as tfjs' own erf).
 */
#include <wasm_simd128.h>

typedef v128_t v;

static inline v splat(float x) { return wasm_f32x4_splat(x); }
static inline v load(const float* p) { return wasm_v128_load(p); }
static inline void store(float* p, v x) { wasm_v128_store(p, x); }

/* e^x for |x| < 88 (Cephes' expf: range reduction by ln 2, degree-6 polynomial). */
static inline v vexp(v x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, splat(-87.3f)), splat(88.3f));
  v fx = wasm_f32x4_nearest(wasm_f32x4_mul(x, splat(1.44269504088896341f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, splat(-2.12194440e-4f)));
  v z = wasm_f32x4_mul(x, x);
  v y = splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), x), splat(1.0f));
  v pow2 = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(fx), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, pow2);
}

/* erf(x), Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
static inline v verf(v x) {
  v a = wasm_f32x4_abs(x);
  v t = wasm_f32x4_div(splat(1.0f), wasm_f32x4_add(splat(1.0f), wasm_f32x4_mul(splat(0.3275911f), a)));
  v p = splat(1.061405429f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), splat(-1.453152027f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), splat(1.421413741f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), splat(-0.284496736f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), splat(0.254829592f));
  p = wasm_f32x4_mul(p, t);
  v e = vexp(wasm_f32x4_neg(wasm_f32x4_mul(a, a)));
  v r = wasm_f32x4_sub(splat(1.0f), wasm_f32x4_mul(p, e));
  /* copy the sign of x */
  return wasm_v128_or(wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000)), r);
}

static inline v vgelu(v x) {
  v e = verf(wasm_f32x4_mul(x, splat(0.70710678118654752f)));
  return wasm_f32x4_mul(wasm_f32x4_mul(x, splat(0.5f)), wasm_f32x4_add(e, splat(1.0f)));
}

static inline v vsilu(v x) {
  return wasm_f32x4_div(x, wasm_f32x4_add(splat(1.0f), vexp(wasm_f32x4_neg(x))));
}

/* y = GELU(x) = x/2 (1 + erf(x / sqrt 2)), n values. */
__attribute__((export_name("gelu"))) void gelu(const float* x, float* y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) store(y + i, vgelu(load(x + i)));
  for (; i < n; i++) y[i] = wasm_f32x4_extract_lane(vgelu(splat(x[i])), 0);
}

/* y = x · sigmoid(x), n values. */
__attribute__((export_name("silu"))) void silu(const float* x, float* y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) store(y + i, vsilu(load(x + i)));
  for (; i < n; i++) y[i] = wasm_f32x4_extract_lane(vsilu(splat(x[i])), 0);
}

static inline float hsum(v a) {
  return wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1) + wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3);
}

/*
 * LayerNorm over the last axis: rows x dim values, weight and bias (dim), biased variance
 * (two passes over the row), eps added to it.
 */
__attribute__((export_name("layer_norm"))) void layer_norm(const float* x, const float* w, const float* b, float* y, int rows, int dim, float eps) {
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (long)r * dim;
    float* yr = y + (long)r * dim;
    v s = splat(0.0f);
    int i = 0;
    for (; i + 4 <= dim; i += 4) s = wasm_f32x4_add(s, load(xr + i));
    float sum = hsum(s);
    for (; i < dim; i++) sum += xr[i];
    float mean = sum / (float)dim;
    v m = splat(mean);
    v q = splat(0.0f);
    i = 0;
    for (; i + 4 <= dim; i += 4) {
      v d = wasm_f32x4_sub(load(xr + i), m);
      q = wasm_f32x4_add(q, wasm_f32x4_mul(d, d));
    }
    float sq = hsum(q);
    for (; i < dim; i++) sq += (xr[i] - mean) * (xr[i] - mean);
    float rstd = 1.0f / __builtin_sqrtf(sq / (float)dim + eps);
    v rs = splat(rstd);
    i = 0;
    for (; i + 4 <= dim; i += 4) {
      v d = wasm_f32x4_mul(wasm_f32x4_sub(load(xr + i), m), rs);
      store(yr + i, wasm_f32x4_add(wasm_f32x4_mul(d, load(w + i)), load(b + i)));
    }
    for (; i < dim; i++) yr[i] = (xr[i] - mean) * rstd * w[i] + b[i];
  }
}

/*
 * Per-channel sums and sums of squares of a channels-last map (spatial x c, c a multiple of
 * 4), added into out[0..c) and out[c..2c) as doubles; float partial sums over blocks of 64
 * positions keep the rounding small.
 */
__attribute__((export_name("channel_sums"))) void channel_sums(const float* x, int spatial, int c, double* out) {
  for (int ch = 0; ch < c; ch += 4) {
    for (int p0 = 0; p0 < spatial; p0 += 64) {
      int p1 = p0 + 64 < spatial ? p0 + 64 : spatial;
      v s = splat(0.0f), q = splat(0.0f);
      for (int p = p0; p < p1; p++) {
        v a = load(x + (long)p * c + ch);
        s = wasm_f32x4_add(s, a);
        q = wasm_f32x4_add(q, wasm_f32x4_mul(a, a));
      }
      out[ch] += (double)wasm_f32x4_extract_lane(s, 0);
      out[ch + 1] += (double)wasm_f32x4_extract_lane(s, 1);
      out[ch + 2] += (double)wasm_f32x4_extract_lane(s, 2);
      out[ch + 3] += (double)wasm_f32x4_extract_lane(s, 3);
      out[c + ch] += (double)wasm_f32x4_extract_lane(q, 0);
      out[c + ch + 1] += (double)wasm_f32x4_extract_lane(q, 1);
      out[c + ch + 2] += (double)wasm_f32x4_extract_lane(q, 2);
      out[c + ch + 3] += (double)wasm_f32x4_extract_lane(q, 3);
    }
  }
}

/* y = x · scale[ch] + shift[ch] on a channels-last map (c a multiple of 4), then SiLU if silu_after. */
__attribute__((export_name("scale_shift"))) void scale_shift(const float* x, const float* scale, const float* shift, float* y, int spatial, int c, int silu_after) {
  for (int p = 0; p < spatial; p++) {
    const float* xp = x + (long)p * c;
    float* yp = y + (long)p * c;
    for (int ch = 0; ch < c; ch += 4) {
      v r = wasm_f32x4_add(wasm_f32x4_mul(load(xp + ch), load(scale + ch)), load(shift + ch));
      store(yp + ch, silu_after ? vsilu(r) : r);
    }
  }
}

/*
 * Self-attention without a mask, all heads: q, k, v are rows of `stride` floats (a packed
 * q | k | v projection: the three base pointers differ by the width), head h reading features
 * [h·dh, (h+1)·dh) of each; out rows have `out_stride` floats and get the heads' contexts side
 * by side. For each query: scores = scale · q·k over every key, softmax, context = Σ p·v.
 * `scores` is scratch for t floats; dh a multiple of 4.
 */
__attribute__((export_name("attention"))) void attention(const float* q, const float* k, const float* vv, int stride, float* out, int out_stride,
                                                         int batch, int t, int heads, int dh, float scale, float* scores) {
  for (int b = 0; b < batch; b++) {
    for (int h = 0; h < heads; h++) {
      const float* qb = q + (long)b * t * stride + h * dh;
      const float* kb = k + (long)b * t * stride + h * dh;
      const float* vb = vv + (long)b * t * stride + h * dh;
      float* ob = out + (long)b * t * out_stride + h * dh;
      for (int i = 0; i < t; i++) {
        const float* qi = qb + (long)i * stride;
        float mx = -3.4e38f;
        int j = 0;
        /* four keys at a time: four dot products, then one transpose-free horizontal sum each */
        for (; j + 4 <= t; j += 4) {
          const float* k0 = kb + (long)j * stride;
          const float* k1 = k0 + stride;
          const float* k2 = k1 + stride;
          const float* k3 = k2 + stride;
          v a0 = splat(0.0f), a1 = splat(0.0f), a2 = splat(0.0f), a3 = splat(0.0f);
          for (int d = 0; d < dh; d += 4) {
            v qd = load(qi + d);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(qd, load(k0 + d)));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(qd, load(k1 + d)));
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(qd, load(k2 + d)));
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(qd, load(k3 + d)));
          }
          /* lane sums of a0..a3 as one vector [Σa0, Σa1, Σa2, Σa3] */
          v t01 = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
          v t23 = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
          v s = wasm_f32x4_mul(wasm_f32x4_add(wasm_i32x4_shuffle(t01, t23, 0, 1, 4, 5), wasm_i32x4_shuffle(t01, t23, 2, 3, 6, 7)), splat(scale));
          store(scores + j, s);
        }
        for (; j < t; j++) {
          const float* kj = kb + (long)j * stride;
          v a = splat(0.0f);
          for (int d = 0; d < dh; d += 4) a = wasm_f32x4_add(a, wasm_f32x4_mul(load(qi + d), load(kj + d)));
          scores[j] = hsum(a) * scale;
        }
        for (j = 0; j < t; j++) mx = scores[j] > mx ? scores[j] : mx;
        v m = splat(mx);
        v zs = splat(0.0f);
        j = 0;
        for (; j + 4 <= t; j += 4) {
          v e = vexp(wasm_f32x4_sub(load(scores + j), m));
          store(scores + j, e);
          zs = wasm_f32x4_add(zs, e);
        }
        float z = hsum(zs);
        for (; j < t; j++) {
          float e = wasm_f32x4_extract_lane(vexp(splat(scores[j] - mx)), 0);
          scores[j] = e;
          z += e;
        }
        float* oi = ob + (long)i * out_stride;
        v inv = splat(1.0f / z);
        /* the context 16 features at a time, in registers, over every key */
        int d = 0;
        for (; d + 16 <= dh; d += 16) {
          v c0 = splat(0.0f), c1 = splat(0.0f), c2 = splat(0.0f), c3 = splat(0.0f);
          const float* vj = vb + d;
          for (j = 0; j < t; j++, vj += stride) {
            v p = wasm_v128_load32_splat(scores + j);
            c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(p, load(vj)));
            c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(p, load(vj + 4)));
            c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(p, load(vj + 8)));
            c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(p, load(vj + 12)));
          }
          store(oi + d, wasm_f32x4_mul(c0, inv));
          store(oi + d + 4, wasm_f32x4_mul(c1, inv));
          store(oi + d + 8, wasm_f32x4_mul(c2, inv));
          store(oi + d + 12, wasm_f32x4_mul(c3, inv));
        }
        for (; d < dh; d += 4) {
          v c0 = splat(0.0f);
          const float* vj = vb + d;
          for (j = 0; j < t; j++, vj += stride) c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_v128_load32_splat(scores + j), load(vj)));
          store(oi + d, wasm_f32x4_mul(c0, inv));
        }
      }
    }
  }
}
