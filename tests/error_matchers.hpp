// A Catch matcher for invforecast::Error: its code and a fragment of its
// message, as REQUIRE_THROWS_MATCHES(expr, Error, fails_with(code, "...")),
// or check_error(callable, code, "...") where the call needs statements.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "error.hpp"

namespace invforecast::testing {

inline Catch::Matchers::Generic::PredicateMatcher<Error> fails_with(ErrorCode code,
                                                                    std::string fragment = "") {
  return Catch::Predicate<Error>(
      [code, fragment](const Error& e) {
        return e.code() == code && std::string(e.what()).find(fragment) != std::string::npos;
      },
      "has code " + std::to_string(static_cast<int>(code)) + " and a message containing '" +
          fragment + "'");
}

// Runs f and CHECKs (the test goes on) that it throws an Error with `code` and
// a message containing `fragment`.
template <class F>
void check_error(F&& f, ErrorCode code, const std::string& fragment) {
  try {
    f();
    FAIL("no error, expected: " << fragment);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.code() == code);
    CHECK_THAT(e.what(), Catch::Matchers::Contains(fragment));
  }
}

// REQUIREs that read(std::span<const uint8_t>) fails with CorruptModel on every
// truncation of `bytes` shorter than 64 bytes and every `length_step`-th longer
// one, and on `bytes` with `flip` xored into every `offset_step`-th byte.
template <class Read>
void require_damage_refused(const std::vector<uint8_t>& bytes, Read&& read, size_t length_step,
                            size_t offset_step, uint8_t flip) {
  auto require_refused = [&](std::span<const uint8_t> damaged) {
    try {
      read(damaged);
      FAIL("accepted");
    } catch (const Error& e) {
      REQUIRE(e.code() == ErrorCode::CorruptModel);
    }
  };
  for (size_t length = 0; length < bytes.size(); length += length < 64 ? 1 : length_step) {
    INFO("truncated to " << length);
    require_refused(std::span<const uint8_t>(bytes.data(), length));
  }
  for (size_t offset = 0; offset < bytes.size(); offset += offset_step) {
    INFO("byte flipped at " << offset);
    std::vector<uint8_t> damaged = bytes;
    damaged[offset] ^= flip;
    require_refused(damaged);
  }
}

}  // namespace invforecast::testing
