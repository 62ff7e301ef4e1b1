// Single-precision GEMMs for the Cpu backend.
// - gemm(): any operands, as given: oneDNN matmul when built with
//   INVF_WITH_ONEDNN (gemm_onednn.cpp), Eigen otherwise (gemm_eigen.cpp).
//   The training path and the backward passes use it.
// - packed_gemm(): our own register-blocked kernel on a B operand packed
//   once (PackedMatrix), for the inference forward pass, whose weights are
//   fixed: gemm_packed_impl.hpp, compiled for AVX2+FMA (gemm_avx2.cpp),
//   for 128-bit vectors (gemm_vec128.cpp) and for any CPU (gemm_scalar.cpp),
//   chosen by active_cpu_isa().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "backend.hpp"  // Epilogue

namespace invforecast::kernels::cpu {

// c[m, n] = epilogue(op(a) op(b) + bias) (bias [n] or null), all row-major
// and dense.  op(a) is [m, k]: a is stored [m, k], or [k, m] when trans_a.
// op(b) is [k, n]: b is stored [k, n], or [n, k] when trans_b.
// Thread-safe; no allocation once a thread has run a shape.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, const float* bias, float* c, Epilogue epilogue = Epilogue::None);

const char* gemm_library();

// Columns per panel of a PackedMatrix: two AVX2 registers.
constexpr int64_t kPackedPanelWidth = 16;

// B [k, n] of c = a b + bias, packed once from a linear layer's weight
// w [n, k] (PyTorch's [out, in] layout, b = w^T): ceil(n / 16) panels of 16
// columns, each stored k-major (the 16 values of one k are one 64-byte
// line), the last panel and the bias zero-padded to 16 columns.  Storage is
// 64-byte aligned and owned (the source may go away).
class PackedMatrix {
 public:
  PackedMatrix() = default;
  // bias [n] or null.  Throws Error(InvalidArgument) unless n, k >= 1.
  PackedMatrix(const float* w, const float* bias, int64_t n, int64_t k);
  PackedMatrix(const PackedMatrix& other);
  PackedMatrix& operator=(const PackedMatrix& other);
  PackedMatrix(PackedMatrix&&) noexcept = default;
  PackedMatrix& operator=(PackedMatrix&&) noexcept = default;

  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  int64_t panels() const { return (n_ + kPackedPanelWidth - 1) / kPackedPanelWidth; }
  // Panel p starts at panel_data() + p * k() * kPackedPanelWidth.
  const float* panel_data() const { return storage_.get(); }
  // Padded to panels() * 16 floats; null when packed without a bias.
  const float* padded_bias() const { return has_bias_ ? storage_.get() + panel_floats() : nullptr; }

 private:
  struct AlignedFree {
    void operator()(float* p) const;
  };
  size_t panel_floats() const { return static_cast<size_t>(panels() * k_ * kPackedPanelWidth); }
  size_t total_floats() const {
    return panel_floats() + (has_bias_ ? static_cast<size_t>(panels() * kPackedPanelWidth) : 0);
  }

  int64_t n_ = 0, k_ = 0;
  bool has_bias_ = false;
  std::unique_ptr<float[], AlignedFree> storage_;
};

// packed_gemm's tile shapes for one ISA (gemm_<isa>.cpp names its own
// GemmTiles; gemm_packed_impl.hpp explains them): rows of a per tile, and
// 16-column panels per tile of R rows.  Six rows by one panel is 12 AVX2
// accumulators; the short row blocks take more panels (1 x 64, 2 x 48,
// 3 x 32) to keep at least 8 FMA chains in flight.
struct SixRowGemmTiles {
  static constexpr int64_t max_rows = 6;
  static constexpr int64_t panels_for_rows(int64_t rows) {
    return rows == 1 ? 4 : rows == 2 ? 3 : rows == 3 ? 2 : 1;
  }
};

// c[m, n] = epilogue(a b + bias), or c += a b + bias when accumulate (a
// fused residual connection; only with Epilogue::None); a [m, k] row-major with row stride lda, read in place;
// c with row stride ldc.  No allocation, single-threaded, re-entrant.
// Each output is its k products summed in order of k (blocks of
// kPackedKBlock when k is larger than kPackedMaxUnblockedK and not
// accumulating), then the bias, so a row's result never depends on m or on
// the rows around it: forecasts are the same whatever the batch.  Arguments
// are the caller's to check (ops.cpp): m >= 1, k = b.k(), lda >= k, ldc >= n.
constexpr int64_t kPackedKBlock = 256;
constexpr int64_t kPackedMaxUnblockedK = 512;
void packed_gemm(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, float* c,
                 int64_t ldc, Epilogue epilogue, bool accumulate);

// Caps the threads one GEMM may use on the calling thread for this object's
// lifetime, then restores the previous cap.  Layers that split a batch over
// their own threads hold one per worker with 1 thread, so oneDNN's OpenMP
// team does not oversubscribe the cores (and spin) under each worker.
class ScopedGemmThreads {
 public:
  explicit ScopedGemmThreads(int threads);
  ~ScopedGemmThreads();
  ScopedGemmThreads(const ScopedGemmThreads&) = delete;
  ScopedGemmThreads& operator=(const ScopedGemmThreads&) = delete;

 private:
  int previous_;
};

}  // namespace invforecast::kernels::cpu
