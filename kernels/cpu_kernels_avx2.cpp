// The Cpu kernels compiled for AVX2 + FMA (this file gets -mavx2 -mfma).
// Entered only through kernels_for(CpuIsa::Avx2), after CPU detection.
#include "cpu_vec_avx2.hpp"

namespace invforecast::kernels::cpu::avx2 {
using V = Avx2Vec;
}
#define INVF_CPU_ISA_NS avx2
#include "cpu_kernels_impl.hpp"

namespace invforecast::kernels::cpu {

const CpuKernels& avx2_kernels() { return avx2::kTable; }

}  // namespace invforecast::kernels::cpu
