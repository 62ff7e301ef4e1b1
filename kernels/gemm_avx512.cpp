// packed_gemm compiled for AVX-512F + FMA (this file gets -mavx512f -mfma):
// a panel row of 16 columns is one ZMM register, and the 32 registers hold
// 6 x 64 tiles (24 accumulators, 4 panel loads and a broadcast); one row
// (batch-1 latency) takes 8 panels at once.  Entered only through
// packed_gemm() after CPU detection (gemm_packed.cpp).  Every output is
// summed in the same order as on AVX2 (gemm.hpp), so the results are the
// same bits.
#include "cpu_vec_avx512.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu::avx512 {
using V = Avx512Vec;
struct GemmTiles {
  static constexpr int64_t max_rows = 6;
  static constexpr int64_t panels_for_rows(int64_t rows) { return rows == 1 ? 8 : 4; }
};
}  // namespace invforecast::kernels::cpu::avx512
#define INVF_CPU_ISA_NS avx512
#include "gemm_packed_impl.hpp"
