// The Cpu kernels on 128-bit vectors (Vec128): SSE2 on any x86-64, NEON on
// ARM64, no extra compiler flags.  Entered through kernels_for(CpuIsa::Vec128).
#include "cpu_vec_vec128.hpp"

namespace invforecast::kernels::cpu::vec128 {
using V = Vec128;
}
#define INVF_CPU_ISA_NS vec128
#include "cpu_kernels_impl.hpp"

namespace invforecast::kernels::cpu {

const CpuKernels& vec128_kernels() { return vec128::kTable; }

}  // namespace invforecast::kernels::cpu
