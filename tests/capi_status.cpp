// Status objects, options, and NULL handling across every function family.
#include <cstring>

#include "capi_support.hpp"

TEST_CASE("version reports the library and ABI versions", "[capi]") {
  const char* library = nullptr;
  int abi = -1;
  invf_version(&library, &abi);
  REQUIRE(library != nullptr);
  REQUIRE(std::string(library) == "0.3.0");
  REQUIRE(abi == INVF_ABI_VERSION);
  invf_version(nullptr, nullptr);  // either pointer may be NULL
  invf_version(&library, nullptr);
  REQUIRE(std::string(library) == "0.3.0");
}

TEST_CASE("a NULL status is success with an empty message", "[capi]") {
  REQUIRE(invf_status_code(nullptr) == INVF_OK);
  REQUIRE(std::string(invf_status_message(nullptr)).empty());
  invf_status_release(nullptr);
}

TEST_CASE("release functions accept NULL", "[capi]") {
  invf_status_release(nullptr);
  invf_options_release(nullptr);
  invf_dataset_release(nullptr);
  invf_forecaster_release(nullptr);
  invf_forecast_release(nullptr);
  invf_backtest_release(nullptr);
  SUCCEED("no crash");
}

TEST_CASE("options reject unknown keys and malformed values by name", "[capi]") {
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "duplicates", "sum"));
  REQUIRE_OK(invf_options_set(options, "quantiles", "0.05,0.5,0.95"));
  REQUIRE_FAILS(invf_options_set(options, "colour", "red"), INVF_ERR_INVALID_ARGUMENT, "colour");
  REQUIRE_FAILS(invf_options_set(options, "duplicates", "merge"), INVF_ERR_INVALID_ARGUMENT,
                "duplicates");
  REQUIRE_FAILS(invf_options_set(options, "threads", "-1"), INVF_ERR_INVALID_ARGUMENT, "threads");
  REQUIRE_FAILS(invf_options_set(options, "quantiles", "0.5,0.2"), INVF_ERR_INVALID_ARGUMENT,
                "ascending");
  REQUIRE_FAILS(invf_options_set(options, "season_length", "1"), INVF_ERR_INVALID_ARGUMENT,
                "season_length");
  invf_options_release(options);
}

TEST_CASE("a failed option leaves the earlier value in force", "[capi]") {
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "quantiles", "0.25,0.75"));
  REQUIRE_FAILS(invf_options_set(options, "quantiles", "0.25,1.5"), INVF_ERR_INVALID_ARGUMENT,
                "1.5");
  invf_dataset* dataset = load_small();
  invf_forecaster* forecaster = nullptr;
  REQUIRE_OK(invf_forecaster_create("naive", options, &forecaster));
  invf_forecast* forecast = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(forecaster, dataset, 3, &forecast));
  size_t count = 0;
  REQUIRE_OK(invf_forecast_quantile_count(forecast, &count));
  REQUIRE(count == 2);
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
  invf_options_release(options);
}

TEST_CASE("every function family names its NULL argument", "[capi]") {
  const auto null = INVF_ERR_NULL_POINTER;
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  invf_dataset* dataset = load_small();
  invf_forecaster* forecaster = nullptr;
  REQUIRE_OK(invf_forecaster_create("naive", nullptr, &forecaster));
  invf_forecast* forecast = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(forecaster, dataset, 2, &forecast));
  const char* methods[] = {"naive"};
  invf_backtest* backtest = nullptr;
  REQUIRE_OK(invf_backtest_run(dataset, methods, 1, 2, 1, nullptr, &backtest));
  size_t size = 0;
  double number = 0;
  const char* text = nullptr;
  int flag = 0;
  const char* dates[] = {"2024-01-01"};
  const double values[] = {1.0};

  SECTION("options") {
    REQUIRE_FAILS(invf_options_create(nullptr), null, "'out'");
    REQUIRE_FAILS(invf_options_set(nullptr, "strict", "true"), null, "'options'");
    REQUIRE_FAILS(invf_options_set(options, nullptr, "true"), null, "'key'");
    REQUIRE_FAILS(invf_options_set(options, "strict", nullptr), null, "'value'");
    REQUIRE_FAILS(invf_options_set_progress(nullptr, nullptr, nullptr), null, "'options'");
  }
  SECTION("dataset") {
    REQUIRE_FAILS(invf_dataset_load_csv(nullptr, nullptr, &dataset), null, "'path'");
    REQUIRE_FAILS(invf_dataset_load_csv("x.csv", nullptr, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_create(nullptr, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_add_series(nullptr, "A", dates, values, 1), null, "'dataset'");
    REQUIRE_FAILS(invf_dataset_add_numeric(nullptr, "A", "p", dates, values, 1), null,
                  "'dataset'");
    REQUIRE_FAILS(invf_dataset_add_categorical(nullptr, "A", "e", dates, dates, 1), null,
                  "'dataset'");
    REQUIRE_FAILS(invf_dataset_series_count(nullptr, &size), null, "'dataset'");
    REQUIRE_FAILS(invf_dataset_series_count(dataset, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_series_id(nullptr, 0, &text), null, "'dataset'");
    REQUIRE_FAILS(invf_dataset_series_id(dataset, 0, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_series_length(dataset, 0, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_series_start_date(dataset, 0, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_series_values(dataset, 0, nullptr, 100), null, "'buffer'");
    REQUIRE_FAILS(invf_dataset_series_stat(dataset, 0, nullptr, &number), null, "'name'");
    REQUIRE_FAILS(invf_dataset_series_stat(dataset, 0, "mean", nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_column_count(nullptr, &size), null, "'dataset'");
    REQUIRE_FAILS(invf_dataset_column_name(dataset, 0, nullptr, &flag), null, "'out'");
    REQUIRE_FAILS(invf_dataset_column_name(dataset, 0, &text, nullptr), null, "'is_numeric'");
    REQUIRE_FAILS(invf_dataset_warning_count(dataset, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_dataset_warning(dataset, 0, nullptr), null, "'out'");
  }
  SECTION("forecaster and forecast") {
    REQUIRE_FAILS(invf_forecaster_create(nullptr, nullptr, &forecaster), null, "'method'");
    REQUIRE_FAILS(invf_forecaster_create("naive", nullptr, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecaster_forecast(nullptr, dataset, 2, &forecast), null, "'forecaster'");
    REQUIRE_FAILS(invf_forecaster_forecast(forecaster, nullptr, 2, &forecast), null, "'dataset'");
    REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, 2, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecast_series_count(nullptr, &size), null, "'forecast'");
    REQUIRE_FAILS(invf_forecast_series_count(forecast, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecast_horizon(forecast, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecast_quantile_count(forecast, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecast_quantile_levels(forecast, nullptr, 9), null, "'buffer'");
    REQUIRE_FAILS(invf_forecast_series_id(forecast, 0, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecast_start_date(forecast, 0, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecast_method(forecast, 0, nullptr, &text), null, "'method'");
    REQUIRE_FAILS(invf_forecast_method(forecast, 0, &text, nullptr), null, "'interval_method'");
    REQUIRE_FAILS(invf_forecast_mean(forecast, 0, nullptr, 2), null, "'buffer'");
    REQUIRE_FAILS(invf_forecast_quantiles(forecast, 0, nullptr, 18), null, "'buffer'");
    REQUIRE_FAILS(invf_forecast_write_csv(forecast, nullptr), null, "'path'");
    REQUIRE_FAILS(invf_forecast_write_csv(nullptr, "x.csv"), null, "'forecast'");
    REQUIRE_FAILS(invf_forecast_warning_count(forecast, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_forecast_warning(forecast, 0, nullptr), null, "'out'");
  }
  SECTION("backtest") {
    REQUIRE_FAILS(invf_backtest_run(nullptr, methods, 1, 2, 1, nullptr, &backtest), null,
                  "'dataset'");
    REQUIRE_FAILS(invf_backtest_run(dataset, nullptr, 1, 2, 1, nullptr, &backtest), null,
                  "'methods'");
    const char* holes[] = {"naive", nullptr};
    REQUIRE_FAILS(invf_backtest_run(dataset, holes, 2, 2, 1, nullptr, &backtest), null,
                  "methods[1]");
    REQUIRE_FAILS(invf_backtest_run(dataset, methods, 1, 2, 1, nullptr, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_backtest_method_count(nullptr, &size), null, "'backtest'");
    REQUIRE_FAILS(invf_backtest_method_count(backtest, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_backtest_method_name(backtest, 0, nullptr), null, "'out'");
    REQUIRE_FAILS(invf_backtest_metric(backtest, 0, nullptr, &number), null, "'metric'");
    REQUIRE_FAILS(invf_backtest_metric(backtest, 0, "mase", nullptr), null, "'out'");
    REQUIRE_FAILS(invf_backtest_series_metric(backtest, 0, 0, "mase", nullptr), null, "'out'");
    REQUIRE_FAILS(invf_backtest_to_json(nullptr, nullptr, 0, &size), null, "'backtest'");
    REQUIRE_FAILS(invf_backtest_to_json(backtest, nullptr, 0, nullptr), null, "'needed'");
    REQUIRE_FAILS(invf_backtest_to_json(backtest, nullptr, 10, &size), null, "'buffer'");
  }
  // The handles are unchanged by the failed calls above.
  REQUIRE(dataset != nullptr);
  REQUIRE(forecast != nullptr);
  REQUIRE(backtest != nullptr);
  invf_backtest_release(backtest);
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
  invf_options_release(options);
}

TEST_CASE("out-parameters are left untouched when a call fails", "[capi]") {
  invf_dataset* dataset = load_small();
  size_t size = 12345;
  REQUIRE_FAILS(invf_dataset_series_length(dataset, 99, &size), INVF_ERR_INVALID_ARGUMENT,
                "index 99");
  REQUIRE(size == 12345);
  const char* text = "sentinel";
  REQUIRE_FAILS(invf_dataset_series_id(dataset, 3, &text), INVF_ERR_INVALID_ARGUMENT, "series");
  REQUIRE(std::strcmp(text, "sentinel") == 0);
  double number = -7.5;
  REQUIRE_FAILS(invf_dataset_series_stat(dataset, 0, "median", &number), INVF_ERR_INVALID_ARGUMENT,
                "median");
  REQUIRE(number == -7.5);
  char date[INVF_DATE_BUFFER] = "untouched!";
  REQUIRE_FAILS(invf_dataset_series_start_date(dataset, 7, date), INVF_ERR_INVALID_ARGUMENT,
                "series");
  REQUIRE(std::string(date) == "untouched!");
  double buffer[4] = {-1, -1, -1, -1};
  REQUIRE_FAILS(invf_dataset_series_values(dataset, 0, buffer, 4), INVF_ERR_BUFFER_TOO_SMALL, "21");
  REQUIRE(buffer[0] == -1);
  REQUIRE(buffer[3] == -1);

  invf_forecaster* forecaster = reinterpret_cast<invf_forecaster*>(0x1);
  REQUIRE_FAILS(invf_forecaster_create("prophet", nullptr, &forecaster), INVF_ERR_INVALID_ARGUMENT,
                "prophet");
  REQUIRE(forecaster == reinterpret_cast<invf_forecaster*>(0x1));
  invf_dataset* missing = reinterpret_cast<invf_dataset*>(0x1);
  REQUIRE_FAILS(invf_dataset_load_csv("/nonexistent/sales.csv", nullptr, &missing), INVF_ERR_IO,
                "/nonexistent/sales.csv");
  REQUIRE(missing == reinterpret_cast<invf_dataset*>(0x1));
  invf_dataset_release(dataset);
}
