// GEMM through Eigen, for builds without oneDNN (INVF_WITH_ONEDNN=OFF).
#ifndef INVF_WITH_ONEDNN

#include <Eigen/Core>

#include "cpu_kernels.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu {

namespace {
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const Matrix>;
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, const float* bias, float* c, Epilogue epilogue) {
  Eigen::Map<Matrix> C(c, m, n);
  const ConstMap A(a, trans_a ? k : m, trans_a ? m : k);
  const ConstMap B(b, trans_b ? n : k, trans_b ? k : n);
  if (trans_a && trans_b)
    C.noalias() = A.transpose() * B.transpose();
  else if (trans_a)
    C.noalias() = A.transpose() * B;
  else if (trans_b)
    C.noalias() = A * B.transpose();
  else
    C.noalias() = A * B;
  if (bias) C.rowwise() += Eigen::Map<const Eigen::Matrix<float, 1, Eigen::Dynamic>>(bias, n);
  if (epilogue == Epilogue::Gelu) kernels_for(active_cpu_isa()).bias_gelu_forward(c, nullptr, c, m, n);
}

const char* gemm_library() { return "eigen"; }

// Eigen is built without OpenMP here: every GEMM is single-threaded already.
ScopedGemmThreads::ScopedGemmThreads(int threads) : previous_(threads) {}
ScopedGemmThreads::~ScopedGemmThreads() = default;

}  // namespace invforecast::kernels::cpu

#endif  // INVF_WITH_ONEDNN
