// Status objects and the library version.
#include <new>
#include <stdexcept>

#include "boundary.hpp"

namespace invforecast::capi {

invf_status* out_of_memory_status() noexcept {
  // Constructed on first use; a short literal fits the small-string buffer,
  // so even this construction allocates nothing.
  static invf_status status{INVF_ERR_OUT_OF_MEMORY, "out of memory"};
  return &status;
}

invf_status* status_from_current_exception() noexcept {
  try {
    try {
      throw;
    } catch (const Error& error) {
      return new invf_status{static_cast<invf_code>(error.code()), error.what()};
    } catch (const std::bad_alloc&) {
      return out_of_memory_status();
    } catch (const std::length_error& error) {
      // A size beyond what any allocation could hold, e.g. an absurd count.
      return new invf_status{INVF_ERR_OUT_OF_MEMORY,
                             std::string("out of memory: size too large (") + error.what() + ")"};
    } catch (const std::exception& error) {
      return new invf_status{INVF_ERR_INTERNAL, std::string("internal error: ") + error.what()};
    } catch (...) {
      return new invf_status{INVF_ERR_INTERNAL, "internal error: unknown exception"};
    }
  } catch (...) {
    // Allocating the status (or its message) failed.
    return out_of_memory_status();
  }
}

}  // namespace invforecast::capi

extern "C" {

void invf_version(const char** library_version, int* abi_version) {
  if (library_version != nullptr) *library_version = INVF_VERSION_STRING;
  if (abi_version != nullptr) *abi_version = INVF_ABI_VERSION_NUMBER;
}

invf_code invf_status_code(const invf_status* status) {
  return status == nullptr ? INVF_OK : status->code;
}

const char* invf_status_message(const invf_status* status) {
  return status == nullptr ? "" : status->message.c_str();
}

void invf_status_release(invf_status* status) {
  if (status != invforecast::capi::out_of_memory_status()) delete status;
}

}  // extern "C"
