// Single-precision GEMM for the Cpu backend: oneDNN matmul when built with
// INVF_WITH_ONEDNN (gemm_onednn.cpp), Eigen otherwise (gemm_eigen.cpp).
#pragma once

#include <cstdint>

namespace invforecast::kernels::cpu {

// What is applied to each output after the bias.
enum class Epilogue { None, Gelu };

// c[m, n] = epilogue(op(a) op(b) + bias) (bias [n] or null), all row-major
// and dense.  op(a) is [m, k]: a is stored [m, k], or [k, m] when trans_a.
// op(b) is [k, n]: b is stored [k, n], or [n, k] when trans_b.
// Thread-safe; no allocation once a thread has run a shape.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, const float* bias, float* c, Epilogue epilogue = Epilogue::None);

const char* gemm_library();

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
