// Four floats in a 128-bit vector, written with GCC/Clang vector extensions
// rather than intrinsics: SSE2 on any x86-64 (its baseline, no extra flags),
// NEON on ARM64.  The middle ISA level, for CPUs without AVX2 (Atom- and
// Celeron-class x86, ARM boards).  Its exp, normal CDF and softplus follow
// Avx2Vec's (same range reductions and coefficients), with a * b + c where
// AVX2 fuses.  Included only by cpu_kernels_vec128.cpp and gemm_vec128.cpp.
#pragma once

#include <cstdint>

#include "cpu_vec_fits.hpp"

namespace invforecast::kernels::cpu {

struct Vec128 {
  using Reg = float __attribute__((vector_size(16)));
  // Lane masks (comparisons give -1 or 0 per lane) and exponent arithmetic.
  using Bits = int32_t __attribute__((vector_size(16)));
  static constexpr int64_t width = 4;

  static Reg zero() { return Reg{0.0f, 0.0f, 0.0f, 0.0f}; }
  static Reg set1(float a) { return Reg{a, a, a, a}; }
  // memcpy: the pointers need only float alignment.
  static Reg load(const float* p) {
    Reg v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(float* p, Reg v) { __builtin_memcpy(p, &v, sizeof v); }
  // The first count (1..4) lanes from p, the others set to fill; never reads past p + count.
  static Reg load_n(const float* p, int64_t count, float fill) {
    if (count == width) return load(p);
    Reg v = set1(fill);
    for (int64_t i = 0; i < count; ++i) v[i] = p[i];
    return v;
  }
  // v with the lanes from count (0..4) on set to fill.
  static Reg keep_n(Reg v, int64_t count, float fill) {
    return select(Bits{0, 1, 2, 3} < static_cast<int32_t>(count), v, set1(fill));
  }
  static void store_n(float* p, Reg v, int64_t count) {
    if (count == width) {
      store(p, v);
      return;
    }
    for (int64_t i = 0; i < count; ++i) p[i] = v[i];
  }

  // Lanes I0..I3 of the concatenation a:b (b's lanes are 4..7).
  template <int I0, int I1, int I2, int I3>
  static Reg shuffle(Reg a, Reg b) {
#if defined(__clang__)
    return __builtin_shufflevector(a, b, I0, I1, I2, I3);
#else
    return __builtin_shuffle(a, b, Bits{I0, I1, I2, I3});
#endif
  }

  // dst[c * ld_dst + r] = src[r * ld_src + c] for a 4 x 4 block: rows
  // interleaved in pairs, then the pairs' halves joined.
  static void transpose_block(const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
    const Reg r0 = load(src), r1 = load(src + ld_src), r2 = load(src + 2 * ld_src),
              r3 = load(src + 3 * ld_src);
    const Reg lo01 = shuffle<0, 4, 1, 5>(r0, r1), hi01 = shuffle<2, 6, 3, 7>(r0, r1);
    const Reg lo23 = shuffle<0, 4, 1, 5>(r2, r3), hi23 = shuffle<2, 6, 3, 7>(r2, r3);
    store(dst, shuffle<0, 1, 4, 5>(lo01, lo23));
    store(dst + ld_dst, shuffle<2, 3, 6, 7>(lo01, lo23));
    store(dst + 2 * ld_dst, shuffle<0, 1, 4, 5>(hi01, hi23));
    store(dst + 3 * ld_dst, shuffle<2, 3, 6, 7>(hi01, hi23));
  }

  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg sub(Reg a, Reg b) { return a - b; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg div(Reg a, Reg b) { return a / b; }
  // SSE2 has no fused multiply-add; a compiler may still fuse on NEON.
  static Reg fmadd(Reg a, Reg b, Reg c) { return a * b + c; }
  // a where mask is set (-1), b where it is 0, lane by lane.
  static Reg select(Bits mask, Reg a, Reg b) { return mask ? a : b; }
  // Like Avx2Vec (maxps/minps, which GCC and Clang emit for these on x86):
  // b when either is NaN, so b is the one that propagates.
  static Reg max(Reg a, Reg b) { return a > b ? a : b; }
  static Reg min(Reg a, Reg b) { return a < b ? a : b; }
  static Reg abs(Reg a) { return reinterpret_cast<Reg>(reinterpret_cast<Bits>(a) & 0x7fffffff); }
  static float reduce_add(Reg a) {
    const Reg s = a + shuffle<2, 3, 2, 3>(a, a);
    return s[0] + s[1];
  }
  // NaN in any lane gives NaN.
  static float reduce_max(Reg a) {
    float m = a[0];
    for (int i = 1; i < 4; ++i)
      if (a[i] > m || a[i] != a[i]) m = a[i];
    return m;
  }

  // Adding 1.5 * 2^23 rounds a float below 2^22 in magnitude to the nearest
  // integer n, which then sits in the low mantissa bits: shifted left by 23
  // they give n << 23 (the exponent field), negative n included.
  static constexpr float kRoundMagic = 12582912.0f;
  static Bits exponent_bits(Reg rounded_plus_magic) { return reinterpret_cast<Bits>(rounded_plus_magic) << 23; }
  // r = x - n ln 2 with n = round(x / ln 2) (|r| <= ln(2)/2), ln 2 in two
  // parts (n times the first is exact); e = n + kRoundMagic for exponent_bits.
  static Reg reduce_by_ln2(Reg x, Reg& e) {
    e = x * set1(1.44269504088896341f) + set1(kRoundMagic);
    const Reg n = e - set1(kRoundMagic);
    return (x - n * set1(0.693145751953125f)) - n * set1(1.42860682e-06f);
  }

  // e^x = 2^n e^r, n = round(x / ln 2), |r| <= ln(2)/2, e^r by its degree-7
  // Taylor polynomial, as Avx2Vec::exp.  Exact 0 below ln(FLT_MIN), +inf
  // above 88; NaN stays NaN.
  static Reg exp(Reg x) {
    const Reg lo = set1(-87.33654475f), hi = set1(88.0f);
    const Reg xc = max(lo, min(hi, x));  // NaN survives: the second operand propagates
    Reg e;
    const Reg r = reduce_by_ln2(xc, e);
    Reg p = set1(1.0f / 5040.0f);
    p = fmadd(p, r, set1(1.0f / 720.0f));
    p = fmadd(p, r, set1(1.0f / 120.0f));
    p = fmadd(p, r, set1(1.0f / 24.0f));
    p = fmadd(p, r, set1(1.0f / 6.0f));
    p = fmadd(p, r, set1(0.5f));
    p = fmadd(p, r, set1(1.0f));
    p = fmadd(p, r, set1(1.0f));
    // 2^n as a float (n >= -126 here, so 2^n is normal), then p 2^n.
    const Reg two_n = reinterpret_cast<Reg>(exponent_bits(e) + (Bits{127, 127, 127, 127} << 23));
    const Reg result = p * two_n;
    return select(x > hi, set1(__builtin_inff()), select(x < lo, zero(), result));
  }

  // e^x for x <= 0 (softmax's shifted scores), as Avx2Vec::exp_nonpositive:
  // Estrin's form (depth 3), 2^n added to the exponent bits, no overflow
  // handling; below ln(FLT_MIN) FLT_MIN's order instead of 0; NaN stays NaN.
  static Reg exp_nonpositive(Reg x) {
    Reg e;
    const Reg r = reduce_by_ln2(max(set1(-87.33654475f), x), e);
    const Reg r2 = r * r;
    const Reg r4 = r2 * r2;
    const Reg p01 = r + set1(1.0f);
    const Reg p23 = fmadd(r, set1(1.0f / 6.0f), set1(0.5f));
    const Reg p45 = fmadd(r, set1(1.0f / 120.0f), set1(1.0f / 24.0f));
    const Reg p67 = fmadd(r, set1(1.0f / 5040.0f), set1(1.0f / 720.0f));
    const Reg p = fmadd(r4, fmadd(r2, p67, p45), fmadd(r2, p23, p01));
    return reinterpret_cast<Reg>(reinterpret_cast<Bits>(p) + exponent_bits(e));
  }

  // e^x for x <= 0 in place, N registers at once, for throughput, as
  // Avx2Vec's: Horner, degree 5 (scripts/fit_normal_cdf.py's fit of e^r),
  // below -87 FLT_MIN's order instead of 0; NaN stays NaN.
  template <int N>
  static void exp_nonpositive(Reg* x) {
    Reg e[N], r[N];
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      r[i] = reduce_by_ln2(max(set1(-87.0f), x[i]), e[i]);  // NaN survives (second operand)
      x[i] = fmadd(set1(kExpPoly[0]), r[i], set1(kExpPoly[1]));
    }
#pragma GCC unroll 8
    for (int j = 2; j < 6; ++j)
#pragma GCC unroll 8
      for (int i = 0; i < N; ++i) x[i] = fmadd(x[i], r[i], set1(kExpPoly[j]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i)
      x[i] = reinterpret_cast<Reg>(reinterpret_cast<Bits>(x[i]) + exponent_bits(e[i]));
  }

  // The lower tail Phi(-|x|) = erfc(|x| / sqrt 2) / 2 for N registers at
  // once, each step taken across all of them (independent chains overlap in
  // the pipeline), by Avx2Vec's method and coefficients
  // (scripts/fit_normal_cdf.py): z = min(|x| / sqrt 2, 10),
  // t = 1 / (1 + z / 2), erfc(z) = t exp(-z^2 + P(t)), ln 2 folded into P's
  // constant for the 1/2, then exp_nonpositive<N> above.  t by a division
  // (an exponent-bit estimate refined by three Newton steps measured 15%
  // slower in GELU).  NaN stays NaN.
  template <int N>
  static void normal_lower_tail(const Reg* x, Reg* tail) {
    Reg z[N], t[N];
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      z[i] = min(set1(10.0f), abs(x[i]) * set1(0.70710678118654752f));  // NaN survives
      t[i] = set1(1.0f) / fmadd(set1(0.5f), z[i], set1(1.0f));
      tail[i] = fmadd(set1(kHalfErfcPoly[0]), t[i], set1(kHalfErfcPoly[1]));
    }
#pragma GCC unroll 8
    for (int j = 2; j < 8; ++j)
#pragma GCC unroll 8
      for (int i = 0; i < N; ++i) tail[i] = fmadd(tail[i], t[i], set1(kHalfErfcPoly[j]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) tail[i] = tail[i] - z[i] * z[i];  // >= -101
    exp_nonpositive<N>(tail);
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) tail[i] = t[i] * tail[i];
  }
  // Phi(x): the lower tail, reflected for x > 0.
  static Reg normal_cdf(Reg x) {
    Reg tail;
    normal_lower_tail<1>(&x, &tail);
    return x > zero() ? set1(1.0f) - tail : tail;
  }
  // y Phi(y) as max(y, 0) - |y| Phi(-|y|) (no reflection); NaN stays NaN
  // through the product.
  static Reg gelu_from_tail(Reg y, Reg tail) { return max(y, zero()) - abs(y) * tail; }
  // y = y Phi(y) over n floats in place, eight registers at a time: on an
  // x86-64 core (SSE2), 1.75 ns a float against 2.3 at four registers, 3.2
  // at one and 2.1 at sixteen (the divisions overlap; spills included).
  static void gelu_in_place(float* y, int64_t n) {
    constexpr int N = 8;
    int64_t i = 0;
    for (; i + N * width <= n; i += N * width) {
      Reg u[N], tail[N];
#pragma GCC unroll 8
      for (int j = 0; j < N; ++j) u[j] = load(y + i + j * width);
      normal_lower_tail<N>(u, tail);
#pragma GCC unroll 8
      for (int j = 0; j < N; ++j) store(y + i + j * width, gelu_from_tail(u[j], tail[j]));
    }
    for (; i < n; i += width) {
      const int64_t count = n - i < width ? n - i : width;
      const Reg u = load_n(y + i, count, 0.0f);
      Reg tail;
      normal_lower_tail<1>(&u, &tail);
      store_n(y + i, gelu_from_tail(u, tail), count);
    }
  }
  static Reg normal_pdf(Reg x) { return set1(0.39894228040143268f) * exp(set1(-0.5f) * (x * x)); }

  // softplus(x) = max(x, 0) + log1p(e), e = exp(-|x|), log1p(e) =
  // 2 atanh(e / (2 + e)) by its odd series, as Avx2Vec::softplus.
  static Reg softplus(Reg x) {
    const Reg e = exp(zero() - abs(x));
    const Reg t = e / (set1(2.0f) + e);
    const Reg t2 = t * t;
    Reg s = set1(1.0f / 13.0f);
    s = fmadd(s, t2, set1(1.0f / 11.0f));
    s = fmadd(s, t2, set1(1.0f / 9.0f));
    s = fmadd(s, t2, set1(1.0f / 7.0f));
    s = fmadd(s, t2, set1(1.0f / 5.0f));
    s = fmadd(s, t2, set1(1.0f / 3.0f));
    s = fmadd(s, t2, set1(1.0f));
    return max(zero(), x) + (t + t) * s;
  }
  static Reg sigmoid(Reg x) { return set1(1.0f) / (set1(1.0f) + exp(zero() - x)); }
};

}  // namespace invforecast::kernels::cpu
