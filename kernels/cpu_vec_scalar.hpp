// One float per "vector": the portable fallback the kernels compile to.
// Included only by cpu_kernels_scalar.cpp.
#pragma once

#include <cmath>
#include <cstdint>

namespace invforecast::kernels::cpu {

struct ScalarVec {
  using Reg = float;
  static constexpr int64_t width = 1;

  static Reg zero() { return 0.0f; }
  static Reg set1(float a) { return a; }
  static Reg load(const float* p) { return *p; }
  static void store(float* p, Reg v) { *p = v; }
  // width 1 has no partial vectors: count is always 1.
  static Reg load_n(const float* p, int64_t, float) { return *p; }
  static void store_n(float* p, Reg v, int64_t) { *p = v; }
  static Reg keep_n(Reg v, int64_t count, float fill) { return count > 0 ? v : fill; }

  // A 1 x 1 block is its own transpose.
  static void transpose_block(const float* src, int64_t, float* dst, int64_t) { *dst = *src; }

  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg sub(Reg a, Reg b) { return a - b; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg div(Reg a, Reg b) { return a / b; }
  static Reg fmadd(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg max(Reg a, Reg b) { return a > b ? a : b; }
  static Reg abs(Reg a) { return std::fabs(a); }
  static float reduce_add(Reg a) { return a; }
  static float reduce_max(Reg a) { return a; }

  static Reg exp(Reg x) { return std::exp(x); }
  // e^x for x <= 0 (Avx2Vec has a faster form for this range).
  static Reg exp_nonpositive(Reg x) { return std::exp(x); }
  template <int N>
  static void exp_nonpositive(Reg* x) {
    for (int i = 0; i < N; ++i) x[i] = std::exp(x[i]);
  }
  // Standard normal CDF and density.
  static Reg normal_cdf(Reg x) { return 0.5f * std::erfc(-x * 0.70710678118654752f); }

  static void gelu_in_place(float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] *= normal_cdf(y[i]);
  }
  static Reg normal_pdf(Reg x) { return 0.39894228040143268f * std::exp(-0.5f * x * x); }
  static Reg softplus(Reg x) { return (x > 0.0f ? x : 0.0f) + std::log1p(std::exp(-std::fabs(x))); }
  static Reg sigmoid(Reg x) { return 1.0f / (1.0f + std::exp(-x)); }
};

}  // namespace invforecast::kernels::cpu
