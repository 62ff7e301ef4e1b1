// Status objects and the library version.
#include <new>
#include <stdexcept>

#include "boundary.hpp"

namespace invforecast::capi {

// An Error's code becomes the status code as it is (status_from_current_exception).
static_assert(static_cast<int>(ErrorCode::InvalidArgument) == INVF_ERR_INVALID_ARGUMENT &&
              static_cast<int>(ErrorCode::NullPointer) == INVF_ERR_NULL_POINTER &&
              static_cast<int>(ErrorCode::Io) == INVF_ERR_IO &&
              static_cast<int>(ErrorCode::Parse) == INVF_ERR_PARSE &&
              static_cast<int>(ErrorCode::Data) == INVF_ERR_DATA &&
              static_cast<int>(ErrorCode::BufferTooSmall) == INVF_ERR_BUFFER_TOO_SMALL &&
              static_cast<int>(ErrorCode::SeriesTooShort) == INVF_ERR_SERIES_TOO_SHORT &&
              static_cast<int>(ErrorCode::OutOfMemory) == INVF_ERR_OUT_OF_MEMORY &&
              static_cast<int>(ErrorCode::Cancelled) == INVF_ERR_CANCELLED &&
              static_cast<int>(ErrorCode::Unsupported) == INVF_ERR_UNSUPPORTED &&
              static_cast<int>(ErrorCode::CorruptModel) == INVF_ERR_CORRUPT_MODEL &&
              static_cast<int>(ErrorCode::Internal) == INVF_ERR_INTERNAL &&
              static_cast<int>(ErrorCode::Diverged) == INVF_ERR_DIVERGED,
              "ErrorCode and invf_code must mirror each other one to one");

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
