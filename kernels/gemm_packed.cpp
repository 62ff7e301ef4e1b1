// PackedMatrix (packing a linear layer's weight once) and the run-time ISA
// choice of packed_gemm's kernel.
#include <cstring>
#include <new>

#include "error.hpp"
#include "cpu_isa.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu {

#if defined(INVF_HAVE_AVX2)
namespace avx2 {
void packed_gemm(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, float* c,
                 int64_t ldc, Epilogue epilogue, bool accumulate);
}
namespace avx512 {
void packed_gemm(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, float* c,
                 int64_t ldc, Epilogue epilogue, bool accumulate);
}
#endif
namespace vec128 {
void packed_gemm(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, float* c,
                 int64_t ldc, Epilogue epilogue, bool accumulate);
}
namespace scalar {
void packed_gemm(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, float* c,
                 int64_t ldc, Epilogue epilogue, bool accumulate);
}

namespace {
// A panel row (16 floats) is one cache line.
constexpr std::align_val_t kAlignment{64};

float* allocate_aligned(size_t floats) {
  return static_cast<float*>(::operator new[](floats * sizeof(float), kAlignment));
}
}  // namespace

void PackedMatrix::AlignedFree::operator()(float* p) const { ::operator delete[](p, kAlignment); }

PackedMatrix::PackedMatrix(const float* w, const float* bias, int64_t n, int64_t k)
    : n_(n), k_(k), has_bias_(bias != nullptr) {
  if (n < 1 || k < 1)
    fail(ErrorCode::InvalidArgument, "PackedMatrix: n and k must be >= 1, got {} and {}", n, k);
  if (!w) fail(ErrorCode::NullPointer, "PackedMatrix: w is null");
  storage_.reset(allocate_aligned(total_floats()));
  float* out = storage_.get();
  for (int64_t p = 0; p < panels(); ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < kPackedPanelWidth; ++j) {
        const int64_t col = p * kPackedPanelWidth + j;
        *out++ = col < n ? w[col * k + kk] : 0.0f;
      }
  if (bias)
    for (int64_t col = 0; col < panels() * kPackedPanelWidth; ++col)
      *out++ = col < n ? bias[col] : 0.0f;
}

PackedMatrix::PackedMatrix(const PackedMatrix& other)
    : n_(other.n_), k_(other.k_), has_bias_(other.has_bias_) {
  if (!other.storage_) return;
  storage_.reset(allocate_aligned(total_floats()));
  std::memcpy(storage_.get(), other.storage_.get(), total_floats() * sizeof(float));
}

PackedMatrix& PackedMatrix::operator=(const PackedMatrix& other) {
  if (this != &other) *this = PackedMatrix(other);
  return *this;
}

void packed_gemm(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, float* c,
                 int64_t ldc, Epilogue epilogue, bool accumulate) {
  switch (active_cpu_isa()) {
#if defined(INVF_HAVE_AVX2)
    case CpuIsa::Avx512: avx512::packed_gemm(m, a, lda, b, c, ldc, epilogue, accumulate); return;
    case CpuIsa::Avx2: avx2::packed_gemm(m, a, lda, b, c, ldc, epilogue, accumulate); return;
#else
    case CpuIsa::Avx512:
    case CpuIsa::Avx2:
      fail(ErrorCode::Unsupported, "the {} kernels are built only for x86-64 targets",
           cpu_isa_name(active_cpu_isa()));
#endif
    case CpuIsa::Vec128: vec128::packed_gemm(m, a, lda, b, c, ldc, epilogue, accumulate); return;
    case CpuIsa::Scalar: scalar::packed_gemm(m, a, lda, b, c, ldc, epilogue, accumulate); return;
  }
}

}  // namespace invforecast::kernels::cpu
