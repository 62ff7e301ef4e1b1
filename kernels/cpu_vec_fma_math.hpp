// The throughput forms of e^x (x <= 0), the normal CDF's lower tail and GELU,
// written once for the vector types with fused multiply-add and exponent-bit
// arithmetic: Avx2Vec (cpu_vec_avx2.hpp) and Avx512Vec (cpu_vec_avx512.hpp).
// Every step is one IEEE operation per lane, so both give the same bits.
// V provides Reg, width, zero, set1, load, store, load_n, store_n, add, sub,
// mul, div, min, max (the second operand propagates NaN), abs, fmadd,
// fnmadd (c - a b) and add_exponent(x, e) (x's bits plus e's bits << 23).
// Included by those headers only, inside their ISA's translation units.
#pragma once

#include <cstdint>

#include "cpu_vec_fits.hpp"

namespace invforecast::kernels::cpu {

template <class V>
struct FmaMath {
  using Reg = typename V::Reg;

  // e^x for x <= 0 in place, N registers at once, for throughput: Horner,
  // degree 5 (scripts/fit_normal_cdf.py's fit of e^r, relative error
  // 7.5e-8), n rounded by adding 1.5 * 2^23.  Below -87 it gives FLT_MIN's
  // order, not 0; NaN stays NaN.
  template <int N>
  static void exp_nonpositive(Reg* x) {
    const Reg magic = V::set1(12582912.0f);
    Reg e[N], r[N];
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      const Reg y = V::max(V::set1(-87.0f), x[i]);  // NaN survives (second operand)
      e[i] = V::fmadd(y, V::set1(1.44269504088896341f), magic);
      const Reg n = V::sub(e[i], magic);
      r[i] = V::fnmadd(n, V::set1(1.42860682e-06f), V::fnmadd(n, V::set1(0.693145751953125f), y));
      x[i] = V::fmadd(V::set1(kExpPoly[0]), r[i], V::set1(kExpPoly[1]));
    }
#pragma GCC unroll 8
    for (int j = 2; j < 6; ++j)
#pragma GCC unroll 8
      for (int i = 0; i < N; ++i) x[i] = V::fmadd(x[i], r[i], V::set1(kExpPoly[j]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) x[i] = V::add_exponent(x[i], e[i]);
  }

  // The lower tail Phi(-|x|) = erfc(|x| / sqrt 2) / 2 for N registers at
  // once, each step taken across all of them: one register's chain is about
  // 90 cycles long, and GELU has many registers waiting, so interleaving them
  // keeps both FMA units busy (AVX2's GELU went from about 36 to 17 cycles a
  // register).  With z = min(|x| / sqrt 2, 10) and t = 1 / (1 + z / 2):
  //   erfc(z) = t exp(-z^2 + P(t)),
  // P of degree 7 fitted by scripts/fit_normal_cdf.py (relative error of
  // erfc below 7e-7 wherever it is a normal float), ln 2 folded into its
  // constant for the 1/2, then exp_nonpositive<N> above.  NaN stays NaN.
  // Horner, not Estrin: across N registers throughput counts, not depth.
  template <int N>
  static void normal_lower_tail(const Reg* x, Reg* tail) {
    Reg z[N], t[N];
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i)
      z[i] = V::min(V::set1(10.0f), V::mul(V::abs(x[i]), V::set1(0.70710678118654752f)));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i)
      t[i] = V::div(V::set1(1.0f), V::fmadd(V::set1(0.5f), z[i], V::set1(1.0f)));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i)
      tail[i] = V::fmadd(V::set1(kHalfErfcPoly[0]), t[i], V::set1(kHalfErfcPoly[1]));
#pragma GCC unroll 8
    for (int j = 2; j < 8; ++j)
#pragma GCC unroll 8
      for (int i = 0; i < N; ++i) tail[i] = V::fmadd(tail[i], t[i], V::set1(kHalfErfcPoly[j]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) tail[i] = V::fnmadd(z[i], z[i], tail[i]);  // >= -101
    exp_nonpositive<N>(tail);
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) tail[i] = V::mul(t[i], tail[i]);
  }

  // y = y Phi(y) over n floats in place, four registers at a time, as
  // max(y, 0) - |y| Phi(-|y|) (one operation less than the reflection).
  static void gelu_in_place(float* y, int64_t n) {
    constexpr int N = 4;
    constexpr int64_t W = V::width;
    int64_t i = 0;
    for (; i + N * W <= n; i += N * W) {
      Reg u[N], tail[N];
#pragma GCC unroll 4
      for (int j = 0; j < N; ++j) u[j] = V::load(y + i + j * W);
      normal_lower_tail<N>(u, tail);
#pragma GCC unroll 4
      for (int j = 0; j < N; ++j)
        V::store(y + i + j * W, V::fnmadd(V::abs(u[j]), tail[j], V::max(u[j], V::zero())));
    }
    for (; i < n; i += W) {
      const int64_t count = n - i < W ? n - i : W;
      const Reg u = V::load_n(y + i, count, 0.0f);
      Reg tail;
      normal_lower_tail<1>(&u, &tail);
      V::store_n(y + i, V::fnmadd(V::abs(u), tail, V::max(u, V::zero())), count);
    }
  }
};

}  // namespace invforecast::kernels::cpu
