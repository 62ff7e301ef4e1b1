// packed_gemm compiled for AVX2 + FMA (this file gets -mavx2 -mfma): 6 x 16
// tiles in 12 YMM accumulators.  Entered only through packed_gemm() after
// CPU detection (gemm_packed.cpp).
#include "cpu_vec_avx2.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu::avx2 {
using V = Avx2Vec;
using GemmTiles = SixRowGemmTiles;
}
#define INVF_CPU_ISA_NS avx2
#include "gemm_packed_impl.hpp"
