// packed_gemm for any CPU: the same tiles on one float at a time (the
// compiler may still use the baseline SSE2 registers).
#include "cpu_vec_scalar.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu::scalar {
using V = ScalarVec;
// AVX2's shapes, which the compiler turns into scalar code.
using GemmTiles = SixRowGemmTiles;
}
#define INVF_CPU_ISA_NS scalar
#include "gemm_packed_impl.hpp"
