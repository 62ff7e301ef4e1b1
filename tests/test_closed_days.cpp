// Closed days (methods/closed_days.*): with an open column every method
// forecasts 0 on the closed days of the horizon, the classical ones are
// fitted on the open days alone with their season and window in open days,
// the model's output is masked, backtests score closed days like any other,
// and bad open columns are refused naming the column, series and date.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "data/dataset.hpp"
#include "data/series_input.hpp"
#include "error.hpp"
#include "error_matchers.hpp"
#include "eval/backtest.hpp"
#include "methods/closed_days.hpp"
#include "methods/dataset_forecast.hpp"
#include "methods/forecaster.hpp"
#include "methods/model_forecaster.hpp"

using namespace invforecast;
using invforecast::testing::check_error;

namespace {

const std::vector<std::string> kMethods = {"naive", "snaive", "ma",  "ets",
                                           "croston", "sba",  "tsb", "auto"};
// Units on the six open days, Sunday to Friday; the shop is closed on Saturdays.
constexpr double kPattern[6] = {12, 20, 16, 24, 18, 30};
const Day kSunday = *parse_iso_date("2024-01-07");

// A series record with its open column: `sales` from kSunday on, `open` over
// the history and then the horizon days it covers.
struct Shop {
  std::vector<double> sales;
  std::vector<double> open;

  SeriesInput input() const {
    SeriesInput in(sales);
    in.id = "shop";
    in.start = kSunday;
    CovariateView column;
    column.name = "is_open";
    column.values = open;
    in.known.push_back(column);
    return in;
  }
};

// `weeks` weeks of the pattern plus deterministic noise within +-1 (an LCG),
// 0 on Saturdays and on the `holidays` (day indices, history or horizon),
// and the calendar over `horizon` more days.
Shop shop(size_t weeks, size_t horizon, std::vector<size_t> holidays = {}) {
  Shop s;
  uint32_t state = 12345;
  for (size_t t = 0; t < 7 * weeks + horizon; ++t) {
    const bool holiday = std::find(holidays.begin(), holidays.end(), t) != holidays.end();
    const bool open = t % 7 != 6 && !holiday;
    s.open.push_back(open ? 1.0 : 0.0);
    if (t >= 7 * weeks) continue;
    state = state * 1664525u + 1013904223u;
    const double noise = 2.0 * ((state >> 8) / 16777216.0) - 1.0;
    s.sales.push_back(open ? kPattern[t % 7] + noise : 0.0);
  }
  return s;
}

ForecastOptions with_open_column() {
  ForecastOptions options;
  options.open_column = "is_open";
  return options;
}

SeriesForecast forecast(std::string_view method, const ForecastOptions& options,
                        const SeriesInput& input, size_t horizon) {
  return forecast_series(*make_forecaster(method, options), options, input.id, input, horizon);
}

// The calendar of a series of `open` days from kSunday (no horizon).
OpenCalendar calendar_of(const std::vector<double>& open, size_t horizon = 0,
                         size_t season = 7) {
  Shop s;
  s.open = open;
  s.sales.assign(open.size() - horizon, 1.0);
  return open_calendar(s.input(), "is_open", season, horizon);
}

std::vector<double> weekly(size_t weeks, std::vector<size_t> closed_weekdays) {
  std::vector<double> open;
  for (size_t t = 0; t < 7 * weeks; ++t)
    open.push_back(std::find(closed_weekdays.begin(), closed_weekdays.end(), t % 7) ==
                           closed_weekdays.end()
                       ? 1.0
                       : 0.0);
  return open;
}

bool all_zero(const SeriesForecast& f, size_t day, size_t levels) {
  for (size_t q = 0; q < levels; ++q)
    if (f.quantiles[day * levels + q] != 0.0) return false;
  return f.mean[day] == 0.0;
}

}  // namespace

TEST_CASE("closed days: every method forecasts 0 on them, mean and every quantile",
          "[closed]") {
  // Horizon from Sunday: a holiday on its Wednesday (day 3) and two Saturdays.
  const Shop s = shop(20, 14, {140 + 3});
  const ForecastOptions options = with_open_column();
  const size_t levels = options.quantiles.size();
  for (const std::string& method : kMethods) {
    INFO(method);
    const SeriesForecast f = forecast(method, options, s.input(), 14);
    REQUIRE(f.mean.size() == 14);
    REQUIRE(f.quantiles.size() == 14 * levels);
    CHECK(f.warning.empty());
    for (size_t d = 0; d < 14; ++d) {
      INFO("day " << d);
      const bool closed = d == 3 || d == 6 || d == 13;
      CHECK(all_zero(f, d, levels) == closed);
    }
    // Without the option every method forecasts sales on the closed Saturday.
    const SeriesForecast plain = forecast(method, ForecastOptions{}, s.input(), 14);
    CHECK(plain.quantiles[6 * levels + levels - 1] > 0.0);
  }
}

TEST_CASE("closed days: the classical methods are fitted on the open days alone", "[closed]") {
  const Shop s = shop(20, 14, {140 + 3});
  const ForecastOptions options = with_open_column();
  const OpenCalendar calendar = open_calendar(s.input(), "is_open", 7, 14);
  // Open-day cycle: Sunday to Friday, 6 days; the 28-day window is 24 open days.
  ForecastOptions six;
  six.season_length = 6;
  six.ma_window = 24;
  const std::vector<double> open_sales = calendar.open_values(s.sales);
  REQUIRE(open_sales.size() == 120);
  // 14 days less two Saturdays; the holiday keeps its step.
  REQUIRE(calendar.steps == 12);
  const size_t levels = options.quantiles.size();
  for (const std::string& method : kMethods) {
    INFO(method);
    const SeriesForecast f = forecast(method, options, s.input(), 14);
    const SeriesForecast on_open_days =
        forecast_series(*make_forecaster(method, six), six, "shop", open_sales, calendar.steps);
    CHECK(f.method == on_open_days.method);
    CHECK(f.interval_method == on_open_days.interval_method);
    for (size_t d = 0; d < 14; ++d) {
      if (calendar.horizon[d] == 0) continue;
      const size_t step = calendar.horizon_step[d];
      INFO("day " << d << ", step " << step);
      CHECK(f.mean[d] == on_open_days.mean[step]);
      for (size_t q = 0; q < levels; ++q)
        CHECK(f.quantiles[d * levels + q] == on_open_days.quantiles[step * levels + q]);
    }
  }
  // After the closed Wednesday, Thursday still repeats last Thursday.
  const SeriesForecast snaive = forecast("snaive", options, s.input(), 14);
  CHECK(snaive.mean[4] == s.sales[140 - 7 + 4]);
  CHECK(snaive.mean[5] == s.sales[140 - 7 + 5]);
}

TEST_CASE("closed days: ETS on the open days recovers the weekly pattern", "[closed]") {
  // A closed Tuesday in week 5 puts the open-day cycle before it a day out of step.
  const Shop s = shop(20, 7, {30});
  const SeriesForecast f = forecast("ets", with_open_column(), s.input(), 7);
  CHECK(f.method == "ets");
  // The noise is within +-1 (standard deviation 0.58) and the seasonal
  // states follow the last weeks' noise: 1.5 units leaves room for it, and is
  // well under the 4 units or more between the pattern's neighbouring days,
  // so a cycle a day out of step (or a season of 7) fails.
  for (size_t d = 0; d < 6; ++d) {
    INFO("day " << d << ": " << f.mean[d]);
    CHECK(f.mean[d] == Approx(kPattern[d]).margin(1.5));
  }
  CHECK(f.mean[6] == 0.0);
}

TEST_CASE("closed days: the open-day season, window and steps", "[closed]") {
  const ForecastOptions defaults;
  struct Case {
    const char* what;
    std::vector<double> open;
    size_t season, window;
  };
  std::vector<double> holidays = weekly(20, {6});
  for (size_t t : {10, 52, 94}) holidays[t] = 0.0;  // three closed Wednesdays
  std::vector<double> mostly_closed(70, 0.0);
  mostly_closed[3] = 1.0;
  const Case cases[] = {
      {"closed on Saturdays", weekly(20, {6}), 6, 24},
      {"closed on Saturdays and Sundays", weekly(20, {0, 6}), 5, 20},
      {"never closed", weekly(20, {}), 7, 28},
      {"closed on Saturdays and three holidays", holidays, 6, 24},
      // Its one day at that position is closed: more than half.
      {"five days, one closed", {1, 1, 0, 1, 1}, 6, 24},
      {"open on one day of ten weeks", mostly_closed, 1, 4},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const OpenCalendar calendar = calendar_of(c.open);
    CHECK(calendar.open_season == c.season);
    const ForecastOptions open = open_day_options(defaults, calendar);
    CHECK(open.season_length == static_cast<int>(c.season));
    CHECK(open.ma_window == static_cast<int>(c.window));
  }
  // A 14-day horizon from Sunday, closed on its Monday (a holiday) and its
  // Saturdays: 11 open days on 12 steps.
  std::vector<double> open = weekly(22, {6});
  open[20 * 7 + 1] = 0.0;
  const OpenCalendar calendar = calendar_of(open, 14);
  CHECK(calendar.steps == 12);
  CHECK(calendar.horizon_step[0] == 0);
  CHECK(calendar.horizon_step[2] == 2);
  CHECK(calendar.horizon_step[7] == 6);
  CHECK(calendar.horizon_step[12] == 11);
}

TEST_CASE("closed days: bad open columns are refused naming the column, series and date",
          "[closed]") {
  const ForecastOptions options = with_open_column();
  const Shop good = shop(4, 7);
  SeriesInput renamed = good.input();
  renamed.known[0].name = "trading";
  check_error([&] { forecast("naive", options, renamed, 7); }, ErrorCode::InvalidArgument,
              "open column 'is_open' is not a column of the data (its columns: 'trading')");
  check_error([&] { forecast("naive", options, SeriesInput(good.sales), 7); },
              ErrorCode::InvalidArgument, "the data has no covariate columns");

  SeriesInput past = good.input();
  past.past = past.known;
  past.known.clear();
  check_error([&] { forecast("naive", options, past, 7); }, ErrorCode::InvalidArgument,
              "open column 'is_open' is past-only");

  const std::vector<int32_t> codes(35, 0);
  const std::vector<std::string> levels = {"open"};
  SeriesInput categorical = good.input();
  categorical.known[0].numeric = false;
  categorical.known[0].values = {};
  categorical.known[0].codes = codes;
  categorical.known[0].levels = levels;
  check_error([&] { forecast("naive", options, categorical, 7); }, ErrorCode::InvalidArgument,
              "open column 'is_open' is categorical");

  Shop two = good;
  two.open[10] = 2.0;
  check_error([&] { forecast("ets", options, two.input(), 7); }, ErrorCode::Data,
              "series 'shop': open column 'is_open' is 2 on 2024-01-17: expected 1 (open) or 0 "
              "(closed)");
  Shop empty = good;
  empty.open[3] = std::numeric_limits<double>::quiet_NaN();
  check_error([&] { forecast("croston", options, empty.input(), 7); }, ErrorCode::Data,
              "series 'shop': open column 'is_open' has no value on 2024-01-10");
  // A horizon day the record covers is checked as well.
  Shop future = good;
  future.open[30] = std::numeric_limits<double>::quiet_NaN();
  check_error([&] { forecast("snaive", options, future.input(), 7); }, ErrorCode::Data,
              "has no value on 2024-02-06");
}

TEST_CASE("closed days: horizon days without a value are forecast as open, with a warning",
          "[closed]") {
  Shop s = shop(10, 7);
  s.open.resize(70 + 3);  // the first three horizon days only
  const SeriesForecast f = forecast("snaive", with_open_column(), s.input(), 7);
  for (size_t d = 0; d < 7; ++d) CHECK(f.mean[d] > 0.0);  // day 6 is a Saturday, unknown
  CHECK_THAT(f.warning, Catch::Contains("series 'shop': open column 'is_open' has no value for "
                                        "4 of the 7 horizon days (from 2024-03-20): forecast as "
                                        "open days"));
}

TEST_CASE("closed days: a static open column, and closed days with sales", "[closed]") {
  // Constant within each series, so a static column: "a" always open, "b" always closed.
  DatasetBuilder b({});
  const uint32_t source = b.add_source("array input");
  for (int t = 0; t < 35; ++t) {
    b.add_value("a", kSunday + t, 3.0 + t % 7, {source, 0});
    b.add_numeric("a", "is_open", kSunday + t, 1.0, {source, 0});
    b.add_value("b", kSunday + t, t % 5 == 0 ? 2.0 : 0.0, {source, 0});
    b.add_numeric("b", "is_open", kSunday + t, 0.0, {source, 0});
  }
  const Dataset data = b.build();
  REQUIRE(SeriesInputs(data).role(0) == CovariateRole::Static);
  const ForecastOptions options = with_open_column();
  const auto snaive = make_forecaster("snaive", options);
  const DatasetForecast closed = forecast_dataset(*snaive, options, {}, data, 10);
  const DatasetForecast plain = forecast_dataset(*snaive, ForecastOptions{}, {}, data, 10);
  CHECK(closed.series[0].mean == plain.series[0].mean);
  CHECK(closed.series[0].quantiles == plain.series[0].quantiles);
  CHECK(closed.series[1].mean == std::vector<double>(10, 0.0));
  CHECK(closed.series[1].quantiles == std::vector<double>(10 * 9, 0.0));
  CHECK_THAT(closed.series[1].warning,
             Catch::Contains("series 'b': 7 days closed by open column 'is_open' have sales "
                             "(first 2024-01-07)"));
}

TEST_CASE("closed days: the model's output is masked, its context keeps every day", "[closed]") {
  // Context 12 days, horizon 2, one (median) quantile.
  const auto runtime = std::make_shared<const ModelRuntime>(
      ModelFile::open(std::string(INVF_TEST_FIXTURES) + "/model/v1_tiny_meanabs.invfm"),
      kernels::backend_of(kernels::BackendKind::Cpu));
  const ModelForecaster model(runtime);
  ForecastOptions options = with_open_column();
  options.quantiles = runtime->model().config().quantiles;
  // Four weeks; the horizon is a Sunday and a Monday holiday.
  Shop s = shop(4, 2, {28 + 1});
  const SeriesForecast plain = forecast_series(model, ForecastOptions{}, "shop", s.input(), 2);
  REQUIRE(plain.mean[1] > 0.0);
  const SeriesForecast f = forecast_series(model, options, "shop", s.input(), 2);
  CHECK(f.mean[0] == plain.mean[0]);
  CHECK(f.quantiles[0] == plain.quantiles[0]);
  CHECK(f.mean[1] == 0.0);
  CHECK(f.quantiles[1] == 0.0);

  // The batched dataset forecast: a static column closes "b" and leaves "a".
  DatasetBuilder b({});
  const uint32_t source = b.add_source("array input");
  for (int t = 0; t < 20; ++t)
    for (const char* id : {"a", "b"}) {
      b.add_value(id, kSunday + t, (t * 7) % 5 + 1.0, {source, 0});
      b.add_numeric(id, "is_open", kSunday + t, id[0] == 'a' ? 1.0 : 0.0, {source, 0});
    }
  const Dataset data = b.build();
  const DatasetForecast masked = forecast_dataset_with_model(*runtime, options, {}, data, 2);
  const DatasetForecast unmasked =
      forecast_dataset_with_model(*runtime, ForecastOptions{}, {}, data, 2);
  CHECK(masked.series[0].mean == unmasked.series[0].mean);
  REQUIRE(unmasked.series[1].mean[1] > 0.0);
  CHECK(masked.series[1].mean == std::vector<double>{0.0, 0.0});
  CHECK(masked.series[1].quantiles == std::vector<double>{0.0, 0.0});
}

TEST_CASE("closed days: a backtest forecasts them as 0 and scores them as any day",
          "[closed]") {
  const Shop s = shop(20, 0, {100, 122});
  DatasetBuilder b({});
  const uint32_t source = b.add_source("array input");
  for (size_t t = 0; t < s.sales.size(); ++t) {
    b.add_value("shop", kSunday + static_cast<Day>(t), s.sales[t], {source, 0});
    b.add_numeric("shop", "is_open", kSunday + static_cast<Day>(t), s.open[t], {source, 0});
  }
  const Dataset data = b.build();
  Options options;
  options.forecast = with_open_column();
  options.forecast.threads = 1;
  const BacktestReport report = run_backtest(data, {"snaive", "ets"}, 14, 2, options);
  const SeriesInput input = SeriesInputs(data).latest(0);
  const size_t levels = options.forecast.quantiles.size();
  for (size_t m = 0; m < 2; ++m) {
    INFO(report.methods[m].method);
    const auto method = make_forecaster(report.methods[m].method, options.forecast);
    double error_sum = 0.0;
    size_t days = 0, covered = 0;
    for (const WindowForecast& w : rolling_forecasts(*method, options.forecast, "shop", input, 14, 2)) {
      for (size_t d = 0; d < 14; ++d) {
        const double actual = s.sales[w.origin + d];
        const double* q = &w.forecast.quantiles[d * levels];
        if (s.open[w.origin + d] == 0.0) CHECK(all_zero(w.forecast, d, levels));
        error_sum += w.forecast.mean[d] - actual;
        covered += q[0] <= actual && actual <= q[levels - 1];
        ++days;
      }
    }
    // 28 days, four Saturdays and the holiday on day 122 among them.
    CHECK(days == 28);
    const auto metric = [&](const char* name) {
      return report.methods[m].per_series[0][report.metric_index(name)];
    };
    CHECK(metric("bias") == Approx(error_sum / 28.0));
    CHECK(metric("coverage80") == Approx(static_cast<double>(covered) / 28.0));
  }
}
