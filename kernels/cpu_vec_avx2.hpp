// Eight floats in a YMM register, with our own exp, normal CDF and softplus.
// Included only by cpu_kernels_avx2.cpp (compiled with -mavx2 -mfma), so no
// AVX2 code can leak into a translation unit used on older CPUs.
#pragma once

#if !defined(__AVX2__) || !defined(__FMA__)
#error "cpu_vec_avx2.hpp needs -mavx2 -mfma"
#endif

#include <immintrin.h>

#include <cstdint>

#include "cpu_vec_fits.hpp"
#include "cpu_vec_fma_math.hpp"

namespace invforecast::kernels::cpu {

struct Avx2Vec {
  using Reg = __m256;
  static constexpr int64_t width = 8;

  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(float a) { return _mm256_set1_ps(a); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static __m256i lane_mask(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // The first count (1..8) lanes from p, the others set to fill; never reads past p + count.
  static Reg load_n(const float* p, int64_t count, float fill) {
    if (count == width) return load(p);
    const __m256i mask = lane_mask(count);
    return _mm256_blendv_ps(set1(fill), _mm256_maskload_ps(p, mask), _mm256_castsi256_ps(mask));
  }
  // v with the lanes from count (0..8) on set to fill.
  static Reg keep_n(Reg v, int64_t count, float fill) {
    return _mm256_blendv_ps(set1(fill), v, _mm256_castsi256_ps(lane_mask(count)));
  }
  static void store_n(float* p, Reg v, int64_t count) {
    if (count == width)
      store(p, v);
    else
      _mm256_maskstore_ps(p, lane_mask(count), v);
  }

  // dst[c * ld_dst + r] = src[r * ld_src + c] for an 8 x 8 block.
  static void transpose_block(const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
    Reg row[8], pair[8], quad[8];
    for (int r = 0; r < 8; ++r) row[r] = load(src + r * ld_src);
    for (int r = 0; r < 8; r += 2) {
      pair[r] = _mm256_unpacklo_ps(row[r], row[r + 1]);
      pair[r + 1] = _mm256_unpackhi_ps(row[r], row[r + 1]);
    }
    for (int r = 0; r < 8; r += 4)
      for (int h = 0; h < 2; ++h) {
        quad[r + 2 * h] = _mm256_shuffle_ps(pair[r + h], pair[r + 2 + h], _MM_SHUFFLE(1, 0, 1, 0));
        quad[r + 2 * h + 1] = _mm256_shuffle_ps(pair[r + h], pair[r + 2 + h], _MM_SHUFFLE(3, 2, 3, 2));
      }
    for (int c = 0; c < 4; ++c) {
      store(dst + c * ld_dst, _mm256_permute2f128_ps(quad[c], quad[c + 4], 0x20));
      store(dst + (c + 4) * ld_dst, _mm256_permute2f128_ps(quad[c], quad[c + 4], 0x31));
    }
  }

  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm256_div_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg fnmadd(Reg a, Reg b, Reg c) { return _mm256_fnmadd_ps(a, b, c); }
  // max_ps and min_ps return their second operand when either is NaN: b is the one that propagates.
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg min(Reg a, Reg b) { return _mm256_min_ps(a, b); }
  // x's bits plus e's shifted to the exponent: x 2^e for an integer-valued e's low bits.
  static Reg add_exponent(Reg x, Reg e) {
    return _mm256_castsi256_ps(
        _mm256_add_epi32(_mm256_castps_si256(x), _mm256_slli_epi32(_mm256_castps_si256(e), 23)));
  }
  static Reg abs(Reg a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static float reduce_add(Reg a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduce_max(Reg a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  // e^x = 2^n e^r, n = round(x / ln 2), |r| <= ln(2)/2, e^r by its degree-7
  // Taylor polynomial (error < 1e-8).  Exact 0 below ln(FLT_MIN) (no
  // denormals) and +inf above 88 (callers only need x <= 88); NaN stays NaN.
  static Reg exp(Reg x) {
    const Reg lo = set1(-87.33654475f), hi = set1(88.0f);
    Reg xc = _mm256_min_ps(hi, x);  // NaN survives: min_ps also returns its second operand
    xc = _mm256_max_ps(lo, xc);
    const Reg n = _mm256_round_ps(mul(xc, set1(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    Reg r = _mm256_fnmadd_ps(n, set1(0.693145751953125f), xc);  // ln 2, split in two for exactness
    r = _mm256_fnmadd_ps(n, set1(1.42860682e-06f), r);
    Reg p = set1(1.0f / 5040.0f);
    p = fmadd(p, r, set1(1.0f / 720.0f));
    p = fmadd(p, r, set1(1.0f / 120.0f));
    p = fmadd(p, r, set1(1.0f / 24.0f));
    p = fmadd(p, r, set1(1.0f / 6.0f));
    p = fmadd(p, r, set1(0.5f));
    p = fmadd(p, r, set1(1.0f));
    p = fmadd(p, r, set1(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    Reg result = mul(p, _mm256_castsi256_ps(bits));
    result = _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), result);
    return _mm256_blendv_ps(result, set1(__builtin_inff()), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  }

  // e^x for x <= 0, the shifted scores of a softmax, with half the latency
  // of exp(): the polynomial in Estrin's form (depth 3, not 7), 2^n added to
  // the exponent bits, no overflow handling.  Below ln(FLT_MIN) it gives
  // FLT_MIN's order instead of 0 (negligible beside the row maximum's 1);
  // NaN stays NaN.  The softmax's exponentials wait on one another's
  // latency in the scheduler, so depth is what limits their throughput.
  static Reg exp_nonpositive(Reg x) {
    const Reg xc = _mm256_max_ps(set1(-87.33654475f), x);  // NaN survives (second operand)
    const Reg n = _mm256_round_ps(mul(xc, set1(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    Reg r = _mm256_fnmadd_ps(n, set1(0.693145751953125f), xc);
    r = _mm256_fnmadd_ps(n, set1(1.42860682e-06f), r);
    const Reg r2 = mul(r, r);
    const Reg r4 = mul(r2, r2);
    const Reg p01 = add(r, set1(1.0f));
    const Reg p23 = fmadd(r, set1(1.0f / 6.0f), set1(0.5f));
    const Reg p45 = fmadd(r, set1(1.0f / 120.0f), set1(1.0f / 24.0f));
    const Reg p67 = fmadd(r, set1(1.0f / 5040.0f), set1(1.0f / 720.0f));
    const Reg p = fmadd(r4, fmadd(r2, p67, p45), fmadd(r2, p23, p01));
    const __m256i scaled = _mm256_add_epi32(_mm256_castps_si256(p),
                                            _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23));
    return _mm256_castsi256_ps(scaled);
  }

  // e^x for x <= 0 in place, N registers at once, for throughput where
  // exp_nonpositive above is built for latency (cpu_vec_fma_math.hpp).
  template <int N>
  static void exp_nonpositive(Reg* x) {
    FmaMath<Avx2Vec>::exp_nonpositive<N>(x);
  }
  // Phi(-|x|) for N registers at once (cpu_vec_fma_math.hpp).
  template <int N>
  static void normal_lower_tail(const Reg* x, Reg* tail) {
    FmaMath<Avx2Vec>::normal_lower_tail<N>(x, tail);
  }
  // Phi(x): the lower tail, reflected for x > 0.
  static Reg normal_cdf(Reg x) {
    Reg tail;
    normal_lower_tail<1>(&x, &tail);
    return _mm256_blendv_ps(tail, sub(set1(1.0f), tail), _mm256_cmp_ps(x, zero(), _CMP_GT_OQ));
  }

  // y = y Phi(y) over n floats in place (cpu_vec_fma_math.hpp).
  static void gelu_in_place(float* y, int64_t n) { FmaMath<Avx2Vec>::gelu_in_place(y, n); }
  static Reg normal_pdf(Reg x) {
    return mul(set1(0.39894228040143268f), exp(mul(set1(-0.5f), mul(x, x))));
  }

  // softplus(x) = max(x, 0) + log1p(e), e = exp(-|x|) in (0, 1], and
  // log1p(e) = 2 atanh(e / (2 + e)) by its odd series (t <= 1/3, 7 terms,
  // error < 2e-8): no cancellation for tiny e.
  static Reg softplus(Reg x) {
    const Reg e = exp(sub(zero(), abs(x)));
    const Reg t = div(e, add(set1(2.0f), e));
    const Reg t2 = mul(t, t);
    Reg s = set1(1.0f / 13.0f);
    s = fmadd(s, t2, set1(1.0f / 11.0f));
    s = fmadd(s, t2, set1(1.0f / 9.0f));
    s = fmadd(s, t2, set1(1.0f / 7.0f));
    s = fmadd(s, t2, set1(1.0f / 5.0f));
    s = fmadd(s, t2, set1(1.0f / 3.0f));
    s = fmadd(s, t2, set1(1.0f));
    return add(_mm256_max_ps(zero(), x), mul(add(t, t), s));
  }
  static Reg sigmoid(Reg x) { return div(set1(1.0f), add(set1(1.0f), exp(sub(zero(), x)))); }
};

}  // namespace invforecast::kernels::cpu
