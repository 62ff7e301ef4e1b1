// The Cpu backend's own kernels (everything but GEMM), one table per ISA.
// cpu_kernels_impl.hpp holds the single source of every kernel, written on a
// small vector type; cpu_kernels_scalar.cpp, cpu_kernels_vec128.cpp and
// cpu_kernels_avx2.cpp compile it once each.  Arguments follow ops.hpp, already checked there.
#pragma once

#include <cstdint>

#include "cpu_isa.hpp"
#include "ops.hpp"

namespace invforecast::kernels::cpu {

// Widest vector of any ISA, in floats: attention pads token rows to it.
constexpr int64_t kMaxVectorWidth = 8;

struct CpuKernels {
  void (*column_sums)(const float* x, float* sums, int64_t rows, int64_t cols);
  void (*bias_gelu_forward)(const float* x, const float* bias, float* y, int64_t rows,
                            int64_t cols);
  void (*bias_gelu_backward)(const float* x, const float* bias, const float* dy, float* dx,
                             float* dbias, int64_t rows, int64_t cols);
  void (*layer_norm_forward)(const float* x, const float* gamma, const float* beta, float* y,
                             float* mean, float* rstd, int64_t rows, int64_t cols, float eps);
  void (*layer_norm_backward)(const float* x, const float* gamma, const float* dy,
                              const float* mean, const float* rstd, float* dx, float* dgamma,
                              float* dbeta, int64_t rows, int64_t cols);
  void (*softmax_forward)(const float* x, float* y, int64_t rows, int64_t cols);
  void (*softmax_backward)(const float* y, const float* dy, float* dx, int64_t rows,
                           int64_t cols);
  void (*attention_forward)(const AttentionDims& dims, const float* q, const float* k,
                            const float* v, float* out, float* lse, float* workspace,
                            float* probabilities, const int32_t* key_lengths);
  void (*attention_backward)(const AttentionDims& dims, const float* q, const float* k,
                             const float* v, const float* out, const float* lse,
                             const float* dout, float* dq, float* dk, float* dv,
                             float* workspace);
  void (*quantile_head_forward)(const float* raw, float* q, int64_t rows, int64_t quantiles,
                                int64_t median_index);
  void (*quantile_head_backward)(const float* raw, const float* dq, float* draw, int64_t rows,
                                 int64_t quantiles, int64_t median_index);
  void (*revin_normalize_forward)(const float* x, const float* gamma, const float* beta,
                                  float* y, float* mean, float* std_dev, int64_t rows,
                                  int64_t length, int64_t channels, float eps);
  void (*revin_normalize_backward)(const float* x, const float* mean, const float* std_dev,
                                   const float* dy, float* dgamma, float* dbeta, int64_t rows,
                                   int64_t length, int64_t channels);
  void (*revin_denormalize_forward)(const float* z, const float* gamma, const float* beta,
                                    const float* mean, const float* std_dev, float* y,
                                    int64_t rows, int64_t length, int64_t channels);
  void (*revin_denormalize_backward)(const float* z, const float* gamma, const float* beta,
                                     const float* std_dev, const float* dy, float* dz,
                                     float* dgamma, float* dbeta, int64_t rows, int64_t length,
                                     int64_t channels);
  void (*mean_abs_scale_forward)(const float* x, float* y, float* scale, int64_t rows,
                                 int64_t length, float min_scale);
  void (*mean_abs_unscale)(const float* z, const float* scale, float* y, int64_t rows,
                           int64_t length);
};

const CpuKernels& scalar_kernels();
const CpuKernels& vec128_kernels();
#if defined(INVF_HAVE_AVX2)
// Only call when cpu_supports(CpuIsa::Avx2).
const CpuKernels& avx2_kernels();
#endif
const CpuKernels& kernels_for(CpuIsa isa);

}  // namespace invforecast::kernels::cpu
