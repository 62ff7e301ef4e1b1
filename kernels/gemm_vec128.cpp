// packed_gemm on 128-bit vectors (Vec128: SSE2 on any x86-64, NEON on ARM64),
// no extra compiler flags.  Entered through packed_gemm() (gemm_packed.cpp).
#include "cpu_vec_vec128.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu::vec128 {
using V = Vec128;
// A panel row is 4 vectors here.  x86-64 has 16 vector registers: 3 x 16
// tiles hold 12 accumulators, with a broadcast and a product (SSE2 has no
// FMA) beside them; one row takes 3 panels (12 again), two rows one (8).
// Measured on the encoder's GEMMs (1344 x 128 x 384, 1344 x 256 x 128,
// 32 x 5376 x 252), GFLOP/s on one x86-64 core: 3 x 16 39-40, 2 x 16 35-36,
// 4 x 16 32-37 (spills), AVX2's 6 x 16 30-37.  ARM64 has 32 registers
// (not measured): AVX2's shapes fit there (6 x 16 is 24 accumulators).
#if defined(__aarch64__)
using GemmTiles = SixRowGemmTiles;
#else
struct GemmTiles {
  static constexpr int64_t max_rows = 3;
  static constexpr int64_t panels_for_rows(int64_t rows) { return rows == 1 ? 3 : 1; }
};
#endif
}  // namespace invforecast::kernels::cpu::vec128
#define INVF_CPU_ISA_NS vec128
#include "gemm_packed_impl.hpp"
