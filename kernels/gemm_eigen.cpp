// GEMM through Eigen, for builds without oneDNN (INVF_WITH_ONEDNN=OFF).
#ifndef INVF_WITH_ONEDNN

#include <algorithm>
#include <vector>

#include <Eigen/Core>

#include "cpu_kernels.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu {

namespace {
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const Matrix>;

// Eigen picks its blocking and remainder kernels from the row count, so a
// row's rounding would depend on how many rows share the call.  Rows of C go
// through in blocks of exactly kRowBlock (the last one zero-padded), so each
// row's result is independent of the batch it came in, as with oneDNN: a
// model gives bit-identical forecasts whatever the batch and thread count.
constexpr int64_t kRowBlock = 64;

template <typename BOp>
void rows_times(const float* a, int64_t m, int64_t k, const BOp& b, float* c, int64_t n) {
  thread_local std::vector<float> a_pad, c_pad;
  for (int64_t r0 = 0; r0 < m; r0 += kRowBlock) {
    const int64_t rows = std::min(kRowBlock, m - r0);
    const ConstMap A(a + r0 * k, rows, k);
    if (rows == kRowBlock) {
      Eigen::Map<Matrix>(c + r0 * n, rows, n).noalias() = A * b;
      continue;
    }
    a_pad.assign(static_cast<size_t>(kRowBlock * k), 0.0f);
    c_pad.resize(static_cast<size_t>(kRowBlock * n));
    Eigen::Map<Matrix> A_pad(a_pad.data(), kRowBlock, k), C_pad(c_pad.data(), kRowBlock, n);
    A_pad.topRows(rows) = A;
    C_pad.noalias() = A_pad * b;
    Eigen::Map<Matrix>(c + r0 * n, rows, n) = C_pad.topRows(rows);
  }
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, const float* bias, float* c, Epilogue epilogue) {
  Eigen::Map<Matrix> C(c, m, n);
  const ConstMap A(a, trans_a ? k : m, trans_a ? m : k);
  const ConstMap B(b, trans_b ? n : k, trans_b ? k : n);
  // With a transposed A (weight gradients) the rows of C are features, not
  // series: no batch invariance is promised there.
  if (trans_a && trans_b)
    C.noalias() = A.transpose() * B.transpose();
  else if (trans_a)
    C.noalias() = A.transpose() * B;
  else if (trans_b)
    rows_times(a, m, k, B.transpose(), c, n);
  else
    rows_times(a, m, k, B, c, n);
  if (bias) C.rowwise() += Eigen::Map<const Eigen::Matrix<float, 1, Eigen::Dynamic>>(bias, n);
  if (epilogue == Epilogue::Gelu) kernels_for(active_cpu_isa()).bias_gelu_forward(c, nullptr, c, m, n);
}

const char* gemm_library() { return "eigen"; }

// Eigen is built without OpenMP here: every GEMM is single-threaded already.
ScopedGemmThreads::ScopedGemmThreads(int threads) : previous_(threads) {}
ScopedGemmThreads::~ScopedGemmThreads() = default;

}  // namespace invforecast::kernels::cpu

#endif  // INVF_WITH_ONEDNN
