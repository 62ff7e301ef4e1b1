// Helpers for the C ABI tests: they see only the public header.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "invforecast.h"

// Owns a C handle; the release function is the template argument.
template <class T, void (*Release)(T*)>
struct Owned {
  T* raw = nullptr;
  Owned() = default;
  Owned(const Owned&) = delete;
  ~Owned() { Release(raw); }
};

// Code and message of a status, which is released.
struct Outcome {
  invf_code code;
  std::string message;
};

inline Outcome take(invf_status* status) {
  Outcome outcome{invf_status_code(status), invf_status_message(status)};
  invf_status_release(status);
  return outcome;
}

// Fails the test with the status message unless the call succeeded.
#define REQUIRE_OK(call)                                   \
  do {                                                     \
    const Outcome outcome_ = take(call);                   \
    INFO(#call << ": " << outcome_.message);               \
    REQUIRE(outcome_.code == INVF_OK);                     \
  } while (false)

// Checks the code of a failed call and that its message contains `fragment`.
#define REQUIRE_FAILS(call, expected_code, fragment)                    \
  do {                                                                  \
    const Outcome outcome_ = take(call);                                \
    INFO(#call << " -> " << outcome_.code << ": " << outcome_.message); \
    REQUIRE(outcome_.code == (expected_code));                          \
    REQUIRE_THAT(outcome_.message, Catch::Contains(fragment));          \
  } while (false)

inline std::string fixture(const char* name) { return std::string(INVF_TEST_FIXTURES) + "/" + name; }

// capi_small.csv: A = 1..7 weekly pattern for 2024-01-01..21 (price 2.5,
// event "promo" on 2024-01-11); B = 3 a day for 2024-01-08..21 with
// 2024-01-10 absent; C = 2 every fourth day from 2024-01-03, else 0,
// 2024-01-01..28.  Rows are shuffled.
inline invf_dataset* load_small(const invf_options* options = nullptr) {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_load_csv(fixture("capi_small.csv").c_str(), options, &dataset));
  return dataset;
}

// Dates as ISO strings from `first` on, one per day (first is 2024-01-DD).
inline std::vector<std::string> january_days(int first, int count) {
  std::vector<std::string> dates;
  for (int d = first; d < first + count; ++d) {
    char text[16];
    std::snprintf(text, sizeof text, "2024-01-%02d", d);
    dates.emplace_back(text);
  }
  return dates;
}

inline std::vector<const char*> pointers(const std::vector<std::string>& strings) {
  std::vector<const char*> out;
  for (const auto& s : strings) out.push_back(s.c_str());
  return out;
}

// A dataset from invf_dataset_create holding one series `id` of `values` from 2024-01-01 on.
inline invf_dataset* january_dataset(const char* id, const std::vector<double>& values) {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  const auto dates = january_days(1, static_cast<int>(values.size()));
  REQUIRE_OK(invf_dataset_add_series(dataset, id, pointers(dates).data(), values.data(),
                                     values.size()));
  return dataset;
}
