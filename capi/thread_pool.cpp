// invf_set_thread_pool_size, invf_thread_pool_size: the size of the engine's
// one thread pool (lib/core/thread_pool.hpp).
#include "boundary.hpp"
#include "core/thread_pool.hpp"

extern "C" {

invf_status* invf_set_thread_pool_size(uint32_t threads) {
  return invforecast::capi::guarded(
      [&] { invforecast::ThreadPool::shared().resize(static_cast<size_t>(threads)); });
}

uint32_t invf_thread_pool_size(void) {
  return static_cast<uint32_t>(invforecast::ThreadPool::shared().size());
}

}  // extern "C"
