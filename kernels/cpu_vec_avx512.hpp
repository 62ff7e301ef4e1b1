// Sixteen floats in a ZMM register: what packed_gemm (gemm_packed_impl.hpp)
// needs.  Included only by gemm_avx512.cpp (compiled with -mavx512f -mfma),
// so no AVX-512 code can leak into a translation unit used on CPUs without
// it.  The other kernels of the avx512 level are AVX2's (cpu_kernels.hpp):
// they are bandwidth- or latency-bound, and keeping them keeps every
// reduction's order, so forecasts do not change with the level.
#pragma once

#if !defined(__AVX512F__) || !defined(__FMA__)
#error "cpu_vec_avx512.hpp needs -mavx512f -mfma"
#endif

#include <immintrin.h>

#include <cstdint>

#include "cpu_vec_fma_math.hpp"

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
  static Reg fnmadd(Reg a, Reg b, Reg c) { return _mm512_fnmadd_ps(a, b, c); }
  // As AVX2's: the second operand propagates NaN.
  static Reg max(Reg a, Reg b) { return _mm512_max_ps(a, b); }
  static Reg min(Reg a, Reg b) { return _mm512_min_ps(a, b); }
  static Reg abs(Reg a) { return _mm512_abs_ps(a); }
  static Reg add_exponent(Reg x, Reg e) {
    return _mm512_castsi512_ps(
        _mm512_add_epi32(_mm512_castps_si512(x), _mm512_slli_epi32(_mm512_castps_si512(e), 23)));
  }

  // The GEMM's GELU epilogue: AVX2's operations lane by lane (cpu_vec_fma_math.hpp), so the
  // same bits, on 16 lanes.
  static void gelu_in_place(float* y, int64_t n) { FmaMath<Avx512Vec>::gelu_in_place(y, n); }
};

}  // namespace invforecast::kernels::cpu
