// Numbers written as text (CSV cells, option values, what-if operands): the
// whole text must be the number, in std::from_chars' form (no leading space
// or '+', nothing after it); nullopt otherwise.  Callers word their own error,
// naming the cell, option or edit.
#pragma once

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <system_error>

namespace invforecast {

// Any double, "inf" and "nan" included (the reader then says what it refuses).
inline std::optional<double> parse_double(std::string_view text) {
  double out = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return out;
}

// A finite double.
inline std::optional<double> parse_finite(std::string_view text) {
  const std::optional<double> out = parse_double(text);
  return out && std::isfinite(*out) ? out : std::nullopt;
}

// An integer of type I that fits it.
template <class I>
std::optional<I> parse_integer(std::string_view text) {
  I out{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return out;
}

}  // namespace invforecast
