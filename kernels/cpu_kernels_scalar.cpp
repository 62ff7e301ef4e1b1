// The Cpu kernels compiled for any x86-64 (or other) CPU: one float at a time.
#include "cpu_vec_scalar.hpp"

namespace invforecast::kernels::cpu::scalar {
using V = ScalarVec;
}
#define INVF_CPU_ISA_NS scalar
#include "cpu_kernels_impl.hpp"

#include "error.hpp"

namespace invforecast::kernels::cpu {

const CpuKernels& scalar_kernels() { return scalar::kTable; }

const CpuKernels& kernels_for(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Scalar: return scalar_kernels();
    case CpuIsa::Vec128: return vec128_kernels();
    case CpuIsa::Avx2:
    case CpuIsa::Avx512:  // AVX2's kernels; only the packed GEMM differs (cpu_isa.hpp)
#if defined(INVF_HAVE_AVX2)
      return avx2_kernels();
#else
      fail(ErrorCode::Unsupported, "the {} kernels are built only for x86-64 targets", cpu_isa_name(isa));
#endif
  }
  fail(ErrorCode::Internal, "unknown CPU instruction set {}", static_cast<int>(isa));
}

}  // namespace invforecast::kernels::cpu
