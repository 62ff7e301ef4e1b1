// The C ABI boundary: the status object, the exception-to-status guard and
// argument checks shared by every capi/*.cpp file.  Nothing here is exported.
#pragma once

#include <cstring>

#include <string>

#include "error.hpp"
#include "invforecast.h"

struct invf_status {
  invf_code code;
  std::string message;
};

namespace invforecast::capi {

// Returned when a status itself cannot be allocated; invf_status_release()
// recognises it and does not free it.
invf_status* out_of_memory_status() noexcept;

// Converts the exception being handled into a status; never throws.
invf_status* status_from_current_exception() noexcept;

// Runs `body` and turns any exception into a status, so that nothing escapes
// through an extern "C" function.  NULL means success.
template <typename Body>
invf_status* guarded(Body&& body) noexcept {
  try {
    body();
    return nullptr;
  } catch (...) {
    return status_from_current_exception();
  }
}

// Throws Error(NullPointer) naming `argument` when `pointer` is NULL.
inline void require(const void* pointer, const char* argument) {
  if (pointer == nullptr) fail(ErrorCode::NullPointer, "argument '{}' is NULL", argument);
}

// Throws Error(InvalidArgument) unless index < count; `what` names the kind.
inline void require_index(size_t index, size_t count, const char* what) {
  if (index >= count)
    fail(ErrorCode::InvalidArgument, "{} index {} is out of range (count {})", what, index, count);
}

// Throws Error(BufferTooSmall) saying how many elements are needed.
inline void require_capacity(size_t capacity, size_t needed, const char* what) {
  if (capacity < needed)
    fail(ErrorCode::BufferTooSmall, "buffer of {} elements is too small: {} needs {}", capacity,
         what, needed);
}

// Hands `size` bytes at `data` to a caller's buffer.  buffer NULL with
// capacity 0 is a size query: *needed (then required) gets the size and
// nothing else happens.  Otherwise the buffer must hold `size` bytes
// (Error(BufferTooSmall) naming `what` and the size, nothing written) and
// *needed, when given, gets the size.
inline void copy_to_caller(const void* data, size_t size, void* buffer, size_t capacity,
                           size_t* needed, const char* what) {
  if (buffer == nullptr && capacity > 0) require(buffer, "buffer");
  if (buffer == nullptr) {
    require(needed, "needed");
    *needed = size;
    return;
  }
  if (capacity < size)
    fail(ErrorCode::BufferTooSmall, "buffer of {} bytes is too small: {} needs {}", capacity,
         what, size);
  std::memcpy(buffer, data, size);
  if (needed != nullptr) *needed = size;
}

}  // namespace invforecast::capi
