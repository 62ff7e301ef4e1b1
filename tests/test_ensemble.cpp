// Method "ensemble": weights from the inner backtest (checked against the
// outer backtest's WQL), the member that is right taking the weight, the
// combination level by level on M5 series, members dropping out, keep-best-k,
// determinism and the model as a member.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "error_matchers.hpp"
#include "eval/backtest.hpp"
#include "methods/dataset_forecast.hpp"
#include "methods/ensemble.hpp"
#include "methods/model_forecaster.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using invforecast::testing::fails_with;
using invforecast::train::testing::make_series;

namespace {

std::unique_ptr<EnsembleForecaster> ensemble_of(std::vector<std::string> methods,
                                                ForecastOptions options = {}) {
  options.ensemble_methods = std::move(methods);
  return make_ensemble(options, nullptr);
}

// 20 weeks of a weekly pattern, plus `noise` on every third day.
std::vector<double> weekly(double noise) {
  const std::vector<double> week = {3, 0, 8, 1, 5, 0, 2};
  std::vector<double> history;
  for (size_t t = 0; t < 140; ++t) history.push_back(week[t % 7] + (t % 3 == 0 ? noise : 0.0));
  return history;
}

// A member whose forecasts are NaN, in every window or only for the whole history.
class Broken final : public Forecaster {
 public:
  Broken(size_t levels, size_t fail_at_length) : levels_(levels), fail_at_(fail_at_length) {}
  std::string_view name() const override { return "broken"; }
  size_t min_history() const override { return 1; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const bool fails = fail_at_ == 0 || input.target.size() == fail_at_;
    const double value = fails ? std::numeric_limits<double>::quiet_NaN() : 1.0;
    SeriesForecast out;
    out.mean.assign(horizon, value);
    out.quantiles.assign(horizon * levels_, value);
    return out;
  }

 private:
  size_t levels_;
  size_t fail_at_;  // 0: always
};

double weight_sum(const EnsembleResult& result) {
  double sum = 0.0;
  for (double w : result.weight) sum += w;
  return sum;
}

}  // namespace

TEST_CASE("ensemble errors are the inner windows' WQL up to one factor; inverse-error weights",
          "[ensemble]") {
  // snaive is nearly right on a weekly pattern with small noise; naive and ma are not.
  const std::vector<double> history = weekly(0.5);
  ForecastOptions options;
  options.ensemble_top = 0;  // all three
  const auto ensemble = ensemble_of({"naive", "snaive", "ma"}, options);
  const size_t horizon = 7;
  const EnsembleResult result = ensemble->forecast_with_weights(history, horizon);
  REQUIRE(result.windows == 3);
  CHECK(weight_sum(result) == Approx(1.0).epsilon(1e-12));
  CHECK(result.weight[1] > 0.5);
  CHECK(result.weight[1] > 2 * result.weight[0]);
  CHECK(result.weight[1] > 2 * result.weight[2]);
  // Inverse error: w_i * e_i is the same for every member.
  for (size_t m = 1; m < 3; ++m)
    CHECK(result.weight[m] * result.error[m] == Approx(result.weight[0] * result.error[0]).epsilon(1e-12));

  // The outer backtest (rolling_forecasts and metrics.cpp, a separate implementation) over the
  // same three windows: WQL = 2 * pinball / (L * sum |y|), the error pinball / (W * H * L).
  Dataset data;
  data.series.push_back(make_series("weekly", history));
  const BacktestReport report = run_backtest(data, {"naive", "snaive", "ma"}, horizon, 3, Options{});
  double actual_sum = 0.0;
  for (size_t t = history.size() - 3 * horizon; t < history.size(); ++t) actual_sum += history[t];
  const auto wql = static_cast<size_t>(report.metric_index("wql"));
  for (size_t m = 0; m < 3; ++m) {
    INFO("member " << m);
    // The same sums in another order: a few 1e-16 relative.
    CHECK(result.error[m] ==
          Approx(report.methods[m].per_series[0][wql] * actual_sum / (2.0 * 3 * horizon)).epsilon(1e-12));
  }
}

TEST_CASE("a member that is exactly right takes all the weight", "[ensemble]") {
  const std::vector<double> history = weekly(0.0);
  const auto ensemble = ensemble_of({"naive", "snaive", "ma"});
  const EnsembleResult result = ensemble->forecast_with_weights(history, 14);
  CHECK(result.error[1] == 0.0);
  CHECK(result.weight == std::vector<double>{0.0, 1.0, 0.0});
  const SeriesForecast snaive = make_forecaster("snaive", ForecastOptions{})->forecast(history, 14);
  CHECK(result.forecast.mean == snaive.mean);
  CHECK(result.forecast.quantiles == snaive.quantiles);
  CHECK(result.forecast.method == "ensemble:snaive=1.00");
  CHECK(result.forecast.interval_method == "weighted quantile average");
}

TEST_CASE("ensemble on M5 series: weighted averages level by level, non-crossing, >= 0, deterministic",
          "[ensemble]") {
  const Dataset m5 = read_csv(INVF_BUNDLED_DATA, IngestOptions{});
  const SeriesInputs inputs(m5);
  ForecastOptions options;
  const auto ensemble = make_ensemble(options, nullptr);
  REQUIRE(ensemble->members().size() == 3);  // ets, tsb, snaive; the best two kept
  const size_t horizon = 28, levels = options.quantiles.size();
  size_t unequal = 0, checked = 0;
  for (size_t s = 0; s < m5.series.size(); s += 28) {
    // The last 400 days keep the ETS fits quick.
    const SeriesInput input = inputs.latest(s).from(m5.series[s].values.size() - 400);
    const SeriesInput history = input.from(first_sale_index(input.target));
    if (history.target.size() < 200) continue;
    INFO("series " << m5.series[s].id);
    const EnsembleResult result = ensemble->forecast_with_weights(history, horizon);
    REQUIRE(result.windows == 3);
    CHECK(weight_sum(result) == Approx(1.0).epsilon(1e-12));
    const SeriesForecast& f = result.forecast;
    for (size_t d = 0; d < horizon; ++d)
      for (size_t q = 0; q < levels; ++q) {
        CHECK(f.quantiles[d * levels + q] >= 0.0);
        if (q > 0) CHECK(f.quantiles[d * levels + q] >= f.quantiles[d * levels + q - 1]);
      }
    // Each value is the weighted average of the members' own forecasts.
    std::vector<double> mean(horizon, 0.0), quantiles(horizon * levels, 0.0);
    for (size_t m = 0; m < 3; ++m) {
      const SeriesForecast member = ensemble->members()[m]->forecast(history, horizon);
      for (size_t i = 0; i < horizon; ++i) mean[i] += result.weight[m] * member.mean[i];
      for (size_t i = 0; i < quantiles.size(); ++i) quantiles[i] += result.weight[m] * member.quantiles[i];
    }
    for (size_t i = 0; i < horizon; ++i) CHECK(f.mean[i] == Approx(mean[i]).margin(1e-12));
    for (size_t i = 0; i < quantiles.size(); ++i) CHECK(f.quantiles[i] == Approx(quantiles[i]).margin(1e-12));
    // The same call again gives the same bits.
    const EnsembleResult again = ensemble->forecast_with_weights(history, horizon);
    CHECK(again.weight == result.weight);
    CHECK(again.forecast.quantiles == f.quantiles);
    CHECK(std::count(result.weight.begin(), result.weight.end(), 0.0) >= 1);  // two of three kept
    unequal += std::abs(result.weight[0] - result.weight[1]) > 0.05;
    ++checked;
  }
  REQUIRE(checked >= 8);
  CHECK(unequal > 0);  // the weights are not a fixed average on real series
}

TEST_CASE("a dataset forecast by the ensemble does not depend on the thread count", "[ensemble]") {
  Dataset data;
  for (int s = 0; s < 6; ++s) {
    std::vector<double> values = weekly(0.25 * s);
    values.resize(100 + 5 * static_cast<size_t>(s));
    data.series.push_back(make_series("s" + std::to_string(s), std::move(values)));
  }
  ForecastOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const auto ensemble = make_ensemble(one, nullptr);
  const DatasetForecast a = forecast_dataset(*ensemble, one, {}, data, 14);
  const DatasetForecast b = forecast_dataset(*ensemble, two, {}, data, 14);
  for (size_t s = 0; s < data.series.size(); ++s) {
    CHECK(a.series[s].method == b.series[s].method);
    CHECK(a.series[s].quantiles == b.series[s].quantiles);
    CHECK(a.series[s].mean == b.series[s].mean);
  }
}

TEST_CASE("members that cannot forecast a series drop out for it", "[ensemble]") {
  ForecastOptions options;
  options.ensemble_top = 0;  // every member's final forecast is asked for
  const size_t levels = options.quantiles.size();
  const std::vector<double> history = weekly(0.5);

  SECTION("non-finite forecasts in the inner windows or the final one") {
    for (const size_t fail_at : {size_t{0}, history.size()}) {
      std::vector<std::unique_ptr<Forecaster>> members;
      members.push_back(make_forecaster("snaive", options));
      members.push_back(std::make_unique<Broken>(levels, fail_at));
      members.push_back(make_forecaster("naive", options));
      SeriesInput input(history);
      input.id = "weekly";
      const EnsembleResult result =
          EnsembleForecaster(std::move(members), options).forecast_with_weights(input, 7);
      CHECK(result.weight[1] == 0.0);
      CHECK(std::isinf(result.error[1]));
      CHECK_THAT(result.forecast.warning,
                 Catch::Contains("'broken'") && Catch::Contains("'weekly'") &&
                     Catch::Contains(fail_at == 0 ? "inner window 1" : "in its forecast"));
      // The same as the ensemble without it, bit for bit.
      const EnsembleResult without = ensemble_of({"snaive", "naive"})->forecast_with_weights(input, 7);
      CHECK(result.forecast.quantiles == without.forecast.quantiles);
      CHECK(result.forecast.method == without.forecast.method);
      CHECK(without.forecast.warning.empty());
    }
  }
  SECTION("a kept member whose final forecast fails is replaced by the next best") {
    // On a flat series both members are exact in the inner windows; the first listed wins the
    // tie, fails on the whole history, and naive takes its place.
    ForecastOptions one = options;
    one.ensemble_top = 1;
    const std::vector<double> flat(60, 1.0);
    std::vector<std::unique_ptr<Forecaster>> members;
    members.push_back(std::make_unique<Broken>(levels, flat.size()));
    members.push_back(make_forecaster("naive", one));
    const EnsembleResult result = EnsembleForecaster(std::move(members), one).forecast_with_weights(flat, 7);
    CHECK(result.weight == std::vector<double>{0.0, 1.0});
    CHECK(result.forecast.mean == make_forecaster("naive", one)->forecast(flat, 7).mean);
    CHECK_THAT(result.forecast.warning, Catch::Contains("'broken'") && Catch::Contains("in its forecast"));
  }
  SECTION("histories shorter than a member needs") {
    const auto ensemble = ensemble_of({"ets", "tsb", "snaive"});
    // 15 days: ets (21 days) cannot forecast it; windows of 4 days leave snaive its 7 twice.
    const std::vector<double> fifteen(history.begin(), history.begin() + 15);
    const EnsembleResult result = ensemble->forecast_with_weights(fifteen, 4);
    CHECK(result.windows == 2);
    CHECK(result.weight[0] == 0.0);
    CHECK(std::isinf(result.error[0]));
    CHECK(result.weight[1] > 0.0);
    CHECK(result.weight[2] > 0.0);
    // 9 days: no window leaves snaive a season, so tsb and snaive weigh the same.
    const std::vector<double> nine(history.begin(), history.begin() + 9);
    const EnsembleResult unscored = ensemble->forecast_with_weights(nine, 4);
    CHECK(unscored.windows == 0);
    CHECK(unscored.weight == std::vector<double>{0.0, 0.5, 0.5});
    // One day is too short for every member: the short-series rule falls back to naive.
    const SeriesForecast one_day = forecast_series(*ensemble, options, "one", std::vector<double>{4.0}, 4);
    CHECK(one_day.method == "naive");
    CHECK_THAT(one_day.warning, Catch::Contains("too short for method 'ensemble'"));
  }
}

TEST_CASE("ensemble_top keeps the best members only", "[ensemble]") {
  ForecastOptions options;
  options.ensemble_top = 1;
  const std::vector<double> history = weekly(0.5);
  const EnsembleResult best = ensemble_of({"naive", "snaive", "ma"}, options)->forecast_with_weights(history, 7);
  CHECK(best.weight == std::vector<double>{0.0, 1.0, 0.0});
  CHECK(best.forecast.mean == make_forecaster("snaive", options)->forecast(history, 7).mean);
  options.ensemble_top = 2;
  const EnsembleResult two = ensemble_of({"naive", "snaive", "ma"}, options)->forecast_with_weights(history, 7);
  CHECK((two.weight[0] == 0.0) != (two.weight[2] == 0.0));  // one of naive and ma left out
  CHECK(weight_sum(two) == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("the model is a member when given, forecasting the model's levels", "[ensemble][model]") {
  const auto runtime = std::make_shared<const ModelRuntime>(
      ModelFile::open(std::string(INVF_TEST_FIXTURES) + "/model/v1_tiny_meanabs.invfm"),
      kernels::backend_of(kernels::BackendKind::Cpu));
  ForecastOptions options;
  options.ensemble_methods = {"naive", "snaive"};
  options.ensemble_top = 0;  // the model weighs in even where it is not among the best two
  REQUIRE_THROWS_MATCHES(make_ensemble(options, runtime), Error,
                         fails_with(ErrorCode::InvalidArgument, "the model's quantile levels 0.5"));
  options.quantiles = runtime->model().config().quantiles;
  const auto ensemble = make_ensemble(options, runtime);
  REQUIRE(ensemble->members().size() == 3);
  CHECK(ensemble->members()[0]->name() == "model");

  std::vector<double> history;
  for (int t = 0; t < 40; ++t) history.push_back((t * 7) % 5 + 1.0);
  const EnsembleResult result = ensemble->forecast_with_weights(history, 2);
  CHECK(result.windows == 3);
  CHECK(std::isfinite(result.error[0]));
  CHECK(result.weight[0] > 0.0);
  CHECK_THAT(result.forecast.method, Catch::StartsWith("ensemble:model="));
  const SeriesForecast model = ModelForecaster(runtime).forecast(history, 2);
  const SeriesForecast naive = make_forecaster("naive", options)->forecast(history, 2);
  const SeriesForecast snaive = make_forecaster("snaive", options)->forecast(history, 2);
  for (size_t d = 0; d < 2; ++d)
    CHECK(result.forecast.quantiles[d] ==
          Approx(result.weight[0] * model.quantiles[d] + result.weight[1] * naive.quantiles[d] +
                 result.weight[2] * snaive.quantiles[d]).margin(1e-12));
  REQUIRE_THROWS_MATCHES(ensemble->forecast(history, 3), Error,
                         fails_with(ErrorCode::InvalidArgument, "exceeds the model's horizon of 2"));
}

TEST_CASE("ensemble members are checked when it is made", "[ensemble]") {
  REQUIRE_THROWS_MATCHES(ensemble_of({"ets", "arima"}), Error,
                         fails_with(ErrorCode::InvalidArgument, "arima"));
  REQUIRE_THROWS_MATCHES(ensemble_of({}), Error,
                         fails_with(ErrorCode::InvalidArgument, "needs a model or at least one method"));
  REQUIRE_THROWS_MATCHES(ensemble_of({"ets", "ensemble"}), Error,
                         fails_with(ErrorCode::InvalidArgument, "'ensemble' cannot be a member"));
  ForecastOptions options;
  REQUIRE_THROWS_MATCHES(options.set("ensemble_methods", "ets,model"), Error,
                         fails_with(ErrorCode::InvalidArgument, "option 'ensemble_methods': 'model'"));
  REQUIRE_THROWS_MATCHES(options.set("auto_methods", "ets,ensemble"), Error,
                         fails_with(ErrorCode::InvalidArgument, "option 'auto_methods': 'ensemble'"));
  // auto chooses among single methods; the ensemble may hold auto's pick.
  options.auto_methods = {"snaive", "ensemble"};
  REQUIRE_THROWS_MATCHES(make_forecaster("auto", options), Error,
                         fails_with(ErrorCode::InvalidArgument, "cannot choose 'ensemble'"));
  CHECK(ensemble_of({"auto", "snaive"})->members()[0]->name() == "auto");
  REQUIRE_NOTHROW(make_forecaster("ensemble", ForecastOptions{}));
}
