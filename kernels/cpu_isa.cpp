#include "cpu_isa.hpp"

#include <atomic>
#include <cstdlib>

#include "error.hpp"

namespace invforecast::kernels {

namespace {
constexpr int kUnset = -1;
std::atomic<int> g_active_isa{kUnset};
}  // namespace

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Scalar: return "scalar";
    case CpuIsa::Vec128: return "vec128";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Avx512: return "avx512";
  }
  return "unknown";
}

bool cpu_supports(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Scalar: return true;
    // Built from the target's baseline vectors (SSE2, NEON): no check needed.
    case CpuIsa::Vec128: return true;
#if defined(INVF_HAVE_AVX2)
    // libgcc also checks that the OS saves the YMM registers.
    case CpuIsa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // libgcc checks that the OS saves the ZMM registers too.
    case CpuIsa::Avx512: return cpu_supports(CpuIsa::Avx2) && __builtin_cpu_supports("avx512f");
#else
    // Their kernels are built only for x86-64 targets (CMakeLists.txt).
    case CpuIsa::Avx2:
    case CpuIsa::Avx512: return false;
#endif
  }
  return false;
}

CpuIsa parse_cpu_isa(std::string_view name) {
  CpuIsa isa;
  if (name == "scalar") {
    isa = CpuIsa::Scalar;
  } else if (name == "vec128") {
    isa = CpuIsa::Vec128;
  } else if (name == "avx2") {
    isa = CpuIsa::Avx2;
  } else if (name == "avx512") {
    isa = CpuIsa::Avx512;
  } else {
    fail(ErrorCode::InvalidArgument,
         "INVF_CPU_ISA: unknown instruction set '{}' (use scalar, vec128, avx2 or avx512)",
         name);
  }
  if (!cpu_supports(isa))
    fail(ErrorCode::Unsupported, "INVF_CPU_ISA: this CPU does not support {}", cpu_isa_name(isa));
  return isa;
}

CpuIsa cpu_isa_from_environment() {
  const char* forced = std::getenv("INVF_CPU_ISA");
  if (forced && *forced) return parse_cpu_isa(forced);
  for (CpuIsa isa : {CpuIsa::Avx512, CpuIsa::Avx2})
    if (cpu_supports(isa)) return isa;
  return CpuIsa::Vec128;
}

CpuIsa active_cpu_isa() {
  int isa = g_active_isa.load(std::memory_order_relaxed);
  if (isa == kUnset) {
    isa = static_cast<int>(cpu_isa_from_environment());
    g_active_isa.store(isa, std::memory_order_relaxed);
  }
  return static_cast<CpuIsa>(isa);
}

void set_active_cpu_isa(CpuIsa isa) {
  if (!cpu_supports(isa))
    fail(ErrorCode::Unsupported, "this CPU does not support {}", cpu_isa_name(isa));
  g_active_isa.store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace invforecast::kernels
