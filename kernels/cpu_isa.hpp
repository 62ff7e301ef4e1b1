// Run-time choice of the instruction set for the Cpu backend's own kernels.
// The best one the CPU supports (avx512, avx2, then vec128, then scalar) is
// used unless INVF_CPU_ISA=scalar|vec128|avx2|avx512 forces one (read once,
// on first use).  vec128 (4-float vectors: SSE2 on x86-64, NEON on ARM64)
// runs everywhere.  avx2 and avx512 are built only for x86-64 targets:
// elsewhere cpu_supports() says no.  avx512 is AVX2's level with the packed
// GEMM in 512-bit registers (gemm_avx512.cpp), the same results bit for bit.
#pragma once

#include <string_view>

namespace invforecast::kernels {

enum class CpuIsa { Scalar, Vec128, Avx2, Avx512 };

const char* cpu_isa_name(CpuIsa isa);
bool cpu_supports(CpuIsa isa);
// "scalar", "vec128", "avx2" or "avx512"; Error(InvalidArgument) for another name,
// Error(Unsupported) when this CPU lacks it.
CpuIsa parse_cpu_isa(std::string_view name);
// INVF_CPU_ISA when set, else the best ISA this CPU supports.
CpuIsa cpu_isa_from_environment();
CpuIsa active_cpu_isa();
// Error(Unsupported) when this CPU lacks it.  For tests and tools.
void set_active_cpu_isa(CpuIsa isa);

}  // namespace invforecast::kernels
