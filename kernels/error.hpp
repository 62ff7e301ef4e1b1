// The engine's error type, defined at the lowest layer (kernels/) because
// every layer throws it, the kernels included; capi/ turns it into an
// invf_status at the boundary.  Codes mirror invf_code one to one.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace invforecast {

enum class ErrorCode : int {
  InvalidArgument = 1,
  NullPointer = 2,
  Io = 3,
  Parse = 4,
  Data = 5,
  BufferTooSmall = 6,
  SeriesTooShort = 7,
  OutOfMemory = 8,
  Cancelled = 9,
  Unsupported = 10,
  CorruptModel = 11,
  Internal = 12,
  Diverged = 13,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

template <typename... Args>
[[noreturn]] void fail(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace invforecast
