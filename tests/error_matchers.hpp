// A Catch matcher for invforecast::Error: its code and a fragment of its
// message, as REQUIRE_THROWS_MATCHES(expr, Error, fails_with(code, "...")).
#pragma once

#include <string>

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

}  // namespace invforecast::testing
