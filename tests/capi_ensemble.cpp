// Method "ensemble" through the C ABI: with and without a model, its levels,
// argument errors, and inside a backtest, where it may read only the days
// before each window.
#include <cmath>
#include <string>
#include <vector>

#include "capi_support.hpp"
#include "invforecast.hpp"

namespace {

const std::string kTinyModel = fixture("model/v1_tiny_meanabs.invfm");  // horizon 2, level 0.5

invf::Options options_of(std::initializer_list<std::pair<const char*, const char*>> settings) {
  invf::Options options;
  for (const auto& [key, value] : settings) options.set(key, value);
  return options;
}

void check_valid_quantiles(const invf::Forecast& forecast) {
  const size_t levels = forecast.quantile_levels().size();
  for (size_t s = 0; s < forecast.series_count(); ++s) {
    const std::vector<double> q = forecast.quantiles(s);
    for (size_t i = 0; i < q.size(); ++i) {
      CHECK(q[i] >= 0.0);
      if (i % levels != 0) CHECK(q[i] >= q[i - 1]);
    }
  }
}

}  // namespace

TEST_CASE("ensemble without a model: the named method, its members and weights", "[capi][ensemble]") {
  const invf::Dataset small = invf::Dataset::load_csv(fixture("capi_small.csv"));
  const invf::Forecast by_name = invf::Forecaster("ensemble").forecast(small, 7);
  const invf::Forecast made = invf::Forecaster::ensemble(nullptr).forecast(small, 7);
  REQUIRE(made.series_count() == 3);
  for (size_t s = 0; s < 3; ++s) {
    CHECK(made.method(s) == by_name.method(s));
    CHECK(made.quantiles(s) == by_name.quantiles(s));
    CHECK(made.method(s).second == "weighted quantile average");
  }
  // A's 21 days leave no window at which ets (three weeks) can be fitted: equal weights.
  CHECK(made.method(0).first == "ensemble:ets=0.33,tsb=0.33,snaive=0.33");
  check_valid_quantiles(made);

  // Seasonal naive repeats A's exact weekly pattern: in the inner windows it has no error.
  const invf::Options two = options_of({{"ensemble_methods", "naive,snaive"}});
  const invf::Forecast weighted = invf::Forecaster::ensemble(nullptr, &two).forecast(small, 7);
  CHECK(weighted.method(0).first == "ensemble:snaive=1.00");
  CHECK(weighted.mean(0) == invf::Forecaster("snaive").forecast(small, 7).mean(0));
}

TEST_CASE("ensemble with a model: the model is a member and sets the levels", "[capi][ensemble]") {
  invf_model* model = nullptr;
  REQUIRE_OK(invf_model_load(kTinyModel.c_str(), nullptr, &model));
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "threads", "2"));
  REQUIRE_OK(invf_options_set(options, "ensemble_top", "0"));  // every member that can forecast
  invf_forecaster* forecaster = nullptr;
  REQUIRE_OK(invf_forecaster_create_ensemble(model, options, &forecaster));
  invf_model_release(model);  // the forecaster keeps the weights
  invf_dataset* dataset = load_small();
  invf_forecast* forecast = nullptr;
  REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, 3, &forecast),
                INVF_ERR_INVALID_ARGUMENT, "exceeds the model's horizon of 2");
  REQUIRE_OK(invf_forecaster_forecast(forecaster, dataset, 2, &forecast));
  size_t levels = 0;
  REQUIRE_OK(invf_forecast_quantile_count(forecast, &levels));
  CHECK(levels == 1);
  size_t with_model = 0;
  for (size_t s = 0; s < 3; ++s) {
    const char *method = nullptr, *interval = nullptr;
    REQUIRE_OK(invf_forecast_method(forecast, s, &method, &interval));
    INFO(method);
    CHECK_THAT(method, Catch::StartsWith("ensemble:"));
    with_model += std::string(method).find("model=") != std::string::npos;
  }
  // A: equal weights (no window leaves ets its three weeks); B, C: inverse error, no member exact.
  CHECK(with_model == 3);
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);

  REQUIRE_OK(invf_model_load(kTinyModel.c_str(), nullptr, &model));
  // Levels other than the model's are refused; the model's own are accepted.
  REQUIRE_OK(invf_options_set(options, "quantiles", "0.1,0.9"));
  invf_forecaster* untouched = reinterpret_cast<invf_forecaster*>(&levels);
  forecaster = untouched;
  REQUIRE_FAILS(invf_forecaster_create_ensemble(model, options, &forecaster),
                INVF_ERR_INVALID_ARGUMENT, "the model's quantile levels 0.5");
  CHECK(forecaster == untouched);
  REQUIRE_OK(invf_options_set(options, "quantiles", "0.5"));
  REQUIRE_OK(invf_forecaster_create_ensemble(model, options, &forecaster));
  invf_forecaster_release(forecaster);
  forecaster = untouched;
  REQUIRE_OK(invf_options_set(options, "ensemble_methods", "ets,arima"));
  REQUIRE_FAILS(invf_forecaster_create_ensemble(model, options, &forecaster),
                INVF_ERR_INVALID_ARGUMENT, "arima");
  REQUIRE_FAILS(invf_options_set(options, "ensemble_methods", "ets,model"),
                INVF_ERR_INVALID_ARGUMENT, "'model' cannot be listed");
  REQUIRE_FAILS(invf_options_set(options, "ensemble_top", "-1"), INVF_ERR_INVALID_ARGUMENT,
                "ensemble_top");
  CHECK(forecaster == untouched);
  REQUIRE_FAILS(invf_forecaster_create_ensemble(model, nullptr, nullptr), INVF_ERR_NULL_POINTER,
                "out");
  invf_options* seeded = nullptr;
  REQUIRE_OK(invf_options_create(&seeded));
  REQUIRE_OK(invf_options_set(seeded, "seed", "3"));
  REQUIRE_FAILS(invf_forecaster_create_ensemble(nullptr, seeded, &forecaster),
                INVF_ERR_INVALID_ARGUMENT, "does not apply to invf_forecaster_create_ensemble");
  invf_options_release(seeded);
  invf_options_release(options);
  invf_model_release(model);
  invf_dataset_release(dataset);
}

TEST_CASE("in a backtest the ensemble reads only the days before each window", "[capi][ensemble]") {
  // 28 days of a noisy weekly pattern; the backtest's one window is its last week.
  std::vector<double> values;
  for (int t = 0; t < 28; ++t) values.push_back((t % 7) + 1.0 + (t % 3 == 0 ? 0.5 : 0.0));
  const std::vector<double> before(values.begin(), values.end() - 7);
  invf_dataset* full = january_dataset("W", values);
  invf_dataset* cut = january_dataset("W", before);
  const invf::Options options = options_of({{"quantiles", "0.5"}, {"ensemble_methods", "naive,snaive"}});
  invf_forecaster* ensemble = nullptr;
  invf_forecaster* snaive = nullptr;
  REQUIRE_OK(invf_forecaster_create_ensemble(nullptr, options.get(), &ensemble));
  REQUIRE_OK(invf_forecaster_create("snaive", options.get(), &snaive));
  const invf_forecaster* forecasters[] = {snaive, ensemble};
  invf_backtest* backtest = nullptr;
  REQUIRE_OK(invf_backtest_run_forecasters(full, forecasters, 2, 7, 1, options.get(), &backtest));
  const char* name = nullptr;
  REQUIRE_OK(invf_backtest_method_name(backtest, 1, &name));
  CHECK(std::string(name) == "ensemble");
  double backtest_wql = 0.0;
  REQUIRE_OK(invf_backtest_series_metric(backtest, 1, 0, "wql", &backtest_wql));

  // The ensemble's forecast of the history without the last week, scored by hand (one level,
  // 0.5: WQL = 2 * sum pinball / sum |y| = sum |y - q| / sum |y|).
  invf_forecast* forecast = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(ensemble, cut, 7, &forecast));
  std::vector<double> median(7);
  REQUIRE_OK(invf_forecast_quantiles(forecast, 0, median.data(), median.size()));
  double loss = 0.0, scale = 0.0;
  for (size_t d = 0; d < 7; ++d) {
    loss += std::abs(values[21 + d] - median[d]);
    scale += values[21 + d];
  }
  CHECK(backtest_wql > 0.0);
  CHECK(backtest_wql == Approx(loss / scale).epsilon(1e-12));
  invf_forecast_release(forecast);
  invf_backtest_release(backtest);
  invf_forecaster_release(snaive);
  invf_forecaster_release(ensemble);
  invf_dataset_release(cut);
  invf_dataset_release(full);
}
