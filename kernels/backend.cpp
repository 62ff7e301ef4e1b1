// The backend registry, weight preparation and host memory shared by the
// host backends (backend_host.hpp).
#include "backend.hpp"

#include <cstdlib>
#include <cstring>

#include "backend_host.hpp"
#include "error.hpp"

namespace invforecast::kernels {

const char* backend_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::Reference: return "reference";
    case BackendKind::Cpu: return "cpu";
    case BackendKind::Cuda: return "cuda";
  }
  return "unknown";
}

PreparedLinear Backend::prepare_linear(const float* w, const float* b, int64_t in_features,
                                       int64_t out_features) const {
  if (in_features < 1 || out_features < 1)
    fail(ErrorCode::InvalidArgument,
         "prepare_linear: in_features and out_features must be >= 1, got {} and {}", in_features,
         out_features);
  if (!w) fail(ErrorCode::NullPointer, "prepare_linear: w is null");
  PreparedLinear layer;
  layer.backend_ = kind();
  layer.w_ = w;
  layer.b_ = b;
  layer.in_ = in_features;
  layer.out_ = out_features;
  layer.payload_ = prepare_payload(w, b, in_features, out_features);
  return layer;
}

// ---------------------------------------------------------------------------
void* HostBackend::allocate(size_t bytes) const {
  constexpr size_t kAlignment = 64;
  if (bytes == 0) fail(ErrorCode::InvalidArgument, "{} backend: allocation of 0 bytes", name());
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded < bytes)
    fail(ErrorCode::OutOfMemory, "{} backend: {} bytes cannot be allocated", name(), bytes);
  void* pointer = std::aligned_alloc(kAlignment, rounded);
  if (!pointer)
    fail(ErrorCode::OutOfMemory, "{} backend: out of memory allocating {} bytes", name(), bytes);
  return pointer;
}

void HostBackend::deallocate(void* pointer) const { std::free(pointer); }

void HostBackend::upload(const Context&, void* device, const void* host, size_t bytes) const {
  if (bytes > 0) std::memcpy(device, host, bytes);
}

void HostBackend::download(const Context&, void* host, const void* device, size_t bytes) const {
  if (bytes > 0) std::memcpy(host, device, bytes);
}

// ---------------------------------------------------------------------------
const Backend& backend_of(BackendKind kind) {
  switch (kind) {
    case BackendKind::Reference: return reference_backend();
    case BackendKind::Cpu: return cpu_backend();
    case BackendKind::Cuda: break;
  }
  fail(ErrorCode::Unsupported,
       "the {} backend is not available: this library was built without it (the backends built "
       "in are reference and cpu)",
       backend_name(kind));
}

const Backend& backend_named(std::string_view name) {
  for (BackendKind kind : {BackendKind::Reference, BackendKind::Cpu, BackendKind::Cuda})
    if (name == backend_name(kind)) return backend_of(kind);
  fail(ErrorCode::Unsupported, "unknown backend '{}': the backends built in are reference and cpu",
       name);
}

}  // namespace invforecast::kernels
