// Backtests through the C ABI.
#include <cmath>
#include <cstring>

#include "capi_support.hpp"

namespace {

invf_backtest* backtest_small(const char* const* methods, size_t count, size_t horizon,
                              size_t windows) {
  invf_dataset* dataset = load_small();
  invf_backtest* backtest = nullptr;
  REQUIRE_OK(invf_backtest_run(dataset, methods, count, horizon, windows, nullptr, &backtest));
  invf_dataset_release(dataset);  // the report does not need the dataset
  return backtest;
}

double metric(const invf_backtest* backtest, size_t method, const char* name) {
  double value = 0;
  REQUIRE_OK(invf_backtest_metric(backtest, method, name, &value));
  return value;
}

}  // namespace

TEST_CASE("a backtest reports every method and metric", "[capi]") {
  const char* methods[] = {"naive", "snaive"};
  invf_backtest* backtest = backtest_small(methods, 2, 7, 1);
  size_t count = 0;
  REQUIRE_OK(invf_backtest_method_count(backtest, &count));
  REQUIRE(count == 2);
  const char* name = nullptr;
  REQUIRE_OK(invf_backtest_method_name(backtest, 1, &name));
  REQUIRE(std::string(name) == "snaive");
  REQUIRE_FAILS(invf_backtest_method_name(backtest, 2, &name), INVF_ERR_INVALID_ARGUMENT,
                "method index 2");
  for (const char* m : {"mase", "rmsse", "wrmsse", "smape", "wql", "coverage80", "bias"}) {
    INFO(m);
    REQUIRE(std::isfinite(metric(backtest, 0, m)));
  }
  // A is exactly weekly, so its last week is its previous week: snaive has no error.
  double a_rmsse = -1;
  REQUIRE_OK(invf_backtest_series_metric(backtest, 1, 0, "rmsse", &a_rmsse));
  REQUIRE(a_rmsse == Approx(0.0).margin(1e-12));  // integers repeated: zero, up to rounding
  REQUIRE_OK(invf_backtest_series_metric(backtest, 0, 0, "rmsse", &a_rmsse));
  REQUIRE(a_rmsse > 0.5);  // naive repeats A's last value against a 1..7 ramp

  double untouched = 42;
  REQUIRE_FAILS(invf_backtest_metric(backtest, 0, "accuracy", &untouched), INVF_ERR_INVALID_ARGUMENT,
                "accuracy");
  REQUIRE_FAILS(invf_backtest_series_metric(backtest, 0, 3, "mase", &untouched),
                INVF_ERR_INVALID_ARGUMENT, "series index 3");
  REQUIRE_FAILS(invf_backtest_metric(backtest, 5, "mase", &untouched), INVF_ERR_INVALID_ARGUMENT,
                "method index 5");
  REQUIRE(untouched == 42);
  invf_backtest_release(backtest);
}

TEST_CASE("the JSON report is sized, then copied, or refused when too small",
          "[capi]") {
  const char* methods[] = {"naive"};
  invf_backtest* backtest = backtest_small(methods, 1, 7, 2);
  size_t needed = 0;
  REQUIRE_OK(invf_backtest_to_json(backtest, nullptr, 0, &needed));
  REQUIRE(needed > 2);
  std::string json(needed, 'x');
  size_t small_needed = 7;
  REQUIRE_FAILS(invf_backtest_to_json(backtest, json.data(), needed - 1, &small_needed),
                INVF_ERR_BUFFER_TOO_SMALL, std::to_string(needed));
  REQUIRE(small_needed == 7);
  REQUIRE(json[0] == 'x');  // nothing written
  size_t written = 0;
  REQUIRE_OK(invf_backtest_to_json(backtest, json.data(), json.size(), &written));
  REQUIRE(written == needed);
  REQUIRE(json[needed - 1] == '\0');
  REQUIRE(std::strlen(json.c_str()) == needed - 1);
  REQUIRE(json.front() == '{');
  REQUIRE_THAT(json, Catch::Contains("naive") && Catch::Contains("mase"));
  REQUIRE_OK(invf_backtest_to_json(backtest, json.data(), json.size(), nullptr));
  invf_backtest_release(backtest);
}

TEST_CASE("backtest arguments are checked before any work", "[capi]") {
  invf_dataset* dataset = load_small();
  const char* methods[] = {"naive", "bogus"};
  invf_backtest* backtest = nullptr;
  REQUIRE_FAILS(invf_backtest_run(dataset, methods, 2, 7, 1, nullptr, &backtest),
                INVF_ERR_INVALID_ARGUMENT, "bogus");
  REQUIRE_FAILS(invf_backtest_run(dataset, methods, 0, 7, 1, nullptr, &backtest),
                INVF_ERR_INVALID_ARGUMENT, "method_count");
  REQUIRE_FAILS(invf_backtest_run(dataset, methods, 1, 0, 1, nullptr, &backtest),
                INVF_ERR_INVALID_ARGUMENT, "horizon 0");
  REQUIRE_FAILS(invf_backtest_run(dataset, methods, 1, 7, 0, nullptr, &backtest),
                INVF_ERR_INVALID_ARGUMENT, "windows 0");
  REQUIRE_FAILS(invf_backtest_run(dataset, methods, 1, 7, SIZE_MAX, nullptr, &backtest),
                INVF_ERR_INVALID_ARGUMENT, "windows");
  REQUIRE(backtest == nullptr);
  invf_dataset_release(dataset);
}
