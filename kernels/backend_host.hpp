// The two host backends, Reference (backend_reference.cpp) and Cpu
// (backend_cpu.cpp): their memory is the process's, so allocation is an
// aligned malloc and upload/download are memcpy.
#pragma once

#include "backend.hpp"

namespace invforecast::kernels {

class HostBackend : public Backend {
 public:
  void* allocate(size_t bytes) const override;
  void deallocate(void* pointer) const override;
  void upload(const Context& context, void* device, const void* host,
              size_t bytes) const override;
  void download(const Context& context, void* host, const void* device,
                size_t bytes) const override;
};

const Backend& reference_backend();
const Backend& cpu_backend();

}  // namespace invforecast::kernels
