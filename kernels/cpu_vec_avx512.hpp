// Sixteen floats in a ZMM register: what packed_gemm (gemm_packed_impl.hpp)
// needs, the GELU epilogue included.  Included only by gemm_avx512.cpp
// (compiled with -mavx512f -mfma), so no AVX-512 code can leak into a
// translation unit used on CPUs without it.  The other kernels of the avx512
// level are AVX2's (cpu_kernels.hpp): they are bandwidth- or latency-bound,
// and keeping them keeps every reduction's order, so forecasts do not change
// with the level.  The GELU here runs the same operations lane by lane as
// Avx2Vec's (cpu_vec_avx2.hpp), so its results are the same bits.
#pragma once

#if !defined(__AVX512F__) || !defined(__FMA__)
#error "cpu_vec_avx512.hpp needs -mavx512f -mfma"
#endif

#include <immintrin.h>

#include <cstdint>

#include "cpu_vec_fits.hpp"

namespace invforecast::kernels::cpu {

struct Avx512Vec {
  using Reg = __m512;
  static constexpr int64_t width = 16;

  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float a) { return _mm512_set1_ps(a); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static __mmask16 lane_mask(int64_t count) {
    return static_cast<__mmask16>((1u << static_cast<unsigned>(count)) - 1u);
  }
  // The first count (1..16) lanes from p, the others set to fill; never reads past p + count
  // (masked-off lanes do not fault).
  static Reg load_n(const float* p, int64_t count, float fill) {
    if (count == width) return load(p);
    return _mm512_mask_loadu_ps(set1(fill), lane_mask(count), p);
  }
  static void store_n(float* p, Reg v, int64_t count) {
    if (count == width)
      store(p, v);
    else
      _mm512_mask_storeu_ps(p, lane_mask(count), v);
  }

  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm512_div_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg abs(Reg a) { return _mm512_abs_ps(a); }

  // e^x for x <= 0 in place, N registers at once: Avx2Vec::exp_nonpositive<N>, op for op.
  template <int N>
  static void exp_nonpositive(Reg* x) {
    const Reg magic = set1(12582912.0f);
    Reg e[N], r[N];
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      const Reg y = _mm512_max_ps(set1(-87.0f), x[i]);  // NaN survives (second operand)
      e[i] = fmadd(y, set1(1.44269504088896341f), magic);
      const Reg n = sub(e[i], magic);
      r[i] = _mm512_fnmadd_ps(n, set1(1.42860682e-06f),
                              _mm512_fnmadd_ps(n, set1(0.693145751953125f), y));
      x[i] = fmadd(set1(kExpPoly[0]), r[i], set1(kExpPoly[1]));
    }
#pragma GCC unroll 8
    for (int j = 2; j < 6; ++j)
#pragma GCC unroll 8
      for (int i = 0; i < N; ++i) x[i] = fmadd(x[i], r[i], set1(kExpPoly[j]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i)
      x[i] = _mm512_castsi512_ps(_mm512_add_epi32(
          _mm512_castps_si512(x[i]), _mm512_slli_epi32(_mm512_castps_si512(e[i]), 23)));
  }

  // Phi(-|x|) for N registers at once: Avx2Vec::normal_lower_tail<N>, op for op.
  template <int N>
  static void normal_lower_tail(const Reg* x, Reg* tail) {
    Reg z[N], t[N];
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i)
      z[i] = _mm512_min_ps(set1(10.0f), mul(abs(x[i]), set1(0.70710678118654752f)));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) t[i] = div(set1(1.0f), fmadd(set1(0.5f), z[i], set1(1.0f)));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i)
      tail[i] = fmadd(set1(kHalfErfcPoly[0]), t[i], set1(kHalfErfcPoly[1]));
#pragma GCC unroll 8
    for (int j = 2; j < 8; ++j)
#pragma GCC unroll 8
      for (int i = 0; i < N; ++i) tail[i] = fmadd(tail[i], t[i], set1(kHalfErfcPoly[j]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) tail[i] = _mm512_fnmadd_ps(z[i], z[i], tail[i]);  // >= -101
    exp_nonpositive<N>(tail);
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) tail[i] = mul(t[i], tail[i]);
  }

  // y = y Phi(y) over n floats in place, as max(y, 0) - |y| Phi(-|y|): Avx2Vec::gelu_in_place.
  static void gelu_in_place(float* y, int64_t n) {
    constexpr int N = 4;
    int64_t i = 0;
    for (; i + N * width <= n; i += N * width) {
      Reg u[N], tail[N];
#pragma GCC unroll 4
      for (int j = 0; j < N; ++j) u[j] = load(y + i + j * width);
      normal_lower_tail<N>(u, tail);
#pragma GCC unroll 4
      for (int j = 0; j < N; ++j)
        store(y + i + j * width, _mm512_fnmadd_ps(abs(u[j]), tail[j], _mm512_max_ps(u[j], zero())));
    }
    for (; i < n; i += width) {
      const int64_t count = n - i < width ? n - i : width;
      const Reg u = load_n(y + i, count, 0.0f);
      Reg tail;
      normal_lower_tail<1>(&u, &tail);
      store_n(y + i, _mm512_fnmadd_ps(abs(u), tail, _mm512_max_ps(u, zero())), count);
    }
  }
};

}  // namespace invforecast::kernels::cpu
