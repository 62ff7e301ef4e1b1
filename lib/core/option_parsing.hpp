// Parsers for option values shared by the domain structs of options.hpp and
// training_options.hpp.  Each throws Error(InvalidArgument) naming the key.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hpp"

namespace invforecast::option_parsing {

// "a,b" -> {"a", "b"}; "" -> {""}.
std::vector<std::string_view> split(std::string_view text, char separator);
// A finite number.
double number(std::string_view key, std::string_view value);
// An integer in [min, max].
int64_t integer(std::string_view key, std::string_view value, int64_t min, int64_t max);
// A non-negative integer (a seed).
std::uint64_t seed(std::string_view key, std::string_view value);
// Distinct non-empty names separated by commas ("price,snap": columns).
std::vector<std::string> names(std::string_view key, std::string_view value);
// Ascending levels in (0, 1), at most 99 ("quantiles").
std::vector<double> levels(std::string_view key, std::string_view value);

// `value` when it is one of `accepted`; the message lists them.
std::string word(std::string_view key, std::string_view value,
                 std::initializer_list<std::string_view> accepted);

// The choice named `value`; the message lists the names.
template <typename T>
T choice(std::string_view key, std::string_view value,
         std::initializer_list<std::pair<std::string_view, T>> choices) {
  for (const auto& [name, result] : choices)
    if (name == value) return result;
  std::string accepted;
  for (const auto& [name, result] : choices)
    accepted += (accepted.empty() ? "" : ", ") + std::string(name);
  fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not one of {}", key, value, accepted);
}

}  // namespace invforecast::option_parsing
