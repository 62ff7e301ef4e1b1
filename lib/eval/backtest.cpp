#include "eval/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "core/parallel.hpp"

namespace invforecast {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// M5 weighs series by their revenue over the 28 days before the test period.
constexpr size_t kWeightDays = 28;

// Positions in metric_names().
enum Metric : size_t { kMase, kRmsse, kWrmsse, kSmape, kWql, kCoverage, kBias, kMetricCount };

// One method's results on one series, with the additive parts the aggregates
// pool over all series.
struct SeriesScore {
  std::vector<double> metrics = std::vector<double>(kMetricCount, kNaN);
  size_t scored_windows = 0;
  size_t scored_days = 0;
  double smape_sum = 0.0;     // sum of per-day sMAPE terms (percent)
  double coverage_sum = 0.0;  // days inside the interval
  double bias_sum = 0.0;
  QuantileLossParts quantile_loss;
  std::vector<std::string> warnings;
};

double mean_of_finite(const std::vector<double>& values) {
  double sum = 0.0;
  size_t count = 0;
  for (double v : values)
    if (std::isfinite(v)) {
      sum += v;
      ++count;
    }
  return count > 0 ? sum / static_cast<double>(count) : kNaN;
}

double ratio_or_nan(double numerator, size_t denominator) {
  return denominator > 0 ? numerator / static_cast<double>(denominator) : kNaN;
}

// Windows w with (windows - w) * horizon >= n leave no history and are skipped.
bool window_has_history(size_t length, size_t horizon, size_t windows, size_t window) {
  return length > (windows - window) * horizon;
}

SeriesScore score_series(const Forecaster& method, const ForecastOptions& options,
                         const Series& series, const SeriesInput& input, size_t horizon,
                         size_t windows, std::optional<IntervalLevels> interval) {
  const std::span<const double> values(series.values);
  const std::span<const double> levels(options.quantiles);
  SeriesScore score;
  std::vector<double> window_mase;
  std::vector<double> window_rmsse;
  for (auto& result : rolling_forecasts(method, options, series.id, input, horizon, windows)) {
    const SeriesForecast& forecast = result.forecast;
    if (forecast.mean.size() != horizon || forecast.quantiles.size() != horizon * levels.size())
      fail(ErrorCode::Internal, "method '{}' returned {} means and {} quantiles for series '{}', "
           "expected {} and {}", forecast.method, forecast.mean.size(), forecast.quantiles.size(),
           series.id, horizon, horizon * levels.size());
    const auto train = values.first(result.origin);
    const auto actual = values.subspan(result.origin, horizon);
    window_mase.push_back(
        mase(actual, forecast.mean, seasonal_scale(train, static_cast<size_t>(options.season_length))));
    window_rmsse.push_back(rmsse(actual, forecast.mean, squared_step_scale(train)));
    score.smape_sum += smape(actual, forecast.mean) * static_cast<double>(horizon);
    score.bias_sum += bias(actual, forecast.mean) * static_cast<double>(horizon);
    if (interval)
      score.coverage_sum +=
          coverage(actual, forecast.quantiles, levels.size(), *interval) * static_cast<double>(horizon);
    const QuantileLossParts parts = quantile_loss_parts(actual, forecast.quantiles, levels);
    score.quantile_loss.pinball_sum += parts.pinball_sum;
    score.quantile_loss.abs_actual_sum += parts.abs_actual_sum;
    score.scored_days += horizon;
    ++score.scored_windows;
    if (!forecast.warning.empty())
      score.warnings.push_back(
          fmt::format("window {}/{}: {}", result.window + 1, windows, forecast.warning));
  }
  if (score.scored_windows < windows)
    score.warnings.push_back(fmt::format(
        "series '{}': {} of {} windows skipped: it has {} days and window w (1 = earliest) needs "
        "more than ({} - w + 1) * {} days to leave any history",
        series.id, windows - score.scored_windows, windows, values.size(), windows, horizon));
  score.metrics[kMase] = mean_of_finite(window_mase);
  score.metrics[kRmsse] = mean_of_finite(window_rmsse);
  score.metrics[kSmape] = ratio_or_nan(score.smape_sum, score.scored_days);
  score.metrics[kWql] = weighted_quantile_loss(score.quantile_loss, levels.size());
  score.metrics[kCoverage] = interval ? ratio_or_nan(score.coverage_sum, score.scored_days) : kNaN;
  score.metrics[kBias] = ratio_or_nan(score.bias_sum, score.scored_days);
  return score;
}

// WRMSSE weights and their basis (see backtest.hpp).
std::pair<std::vector<double>, std::string> series_weights(const Dataset& dataset,
                                                           size_t horizon) {
  const size_t count = dataset.series.size();
  const int price_column = dataset.find_column("price");
  if (price_column >= 0 && dataset.columns[price_column].numeric) {
    const Column& prices = dataset.columns[price_column];
    std::vector<double> revenue(count, 0.0);
    double total = 0.0;
    if (prices.numeric_values.size() != count)
      fail(ErrorCode::Internal, "price column has {} series, dataset has {}",
           prices.numeric_values.size(), count);
    for (size_t i = 0; i < count; ++i) {
      const auto values = std::span<const double>(dataset.series[i].values);
      // Future days (and a new product's one cell) follow the sales.
      if (prices.numeric_values[i].size() < values.size())
        fail(ErrorCode::Internal, "price column of series '{}' has {} days, its sales {}",
             dataset.series[i].id, prices.numeric_values[i].size(), values.size());
      if (values.size() <= horizon) continue;  // nothing before the last origin
      const auto train = values.first(values.size() - horizon);
      revenue[i] = recent_revenue(train, prices.numeric_values[i], kWeightDays);
      total += revenue[i];
    }
    if (total > 0.0) {
      for (double& r : revenue) r /= total;
      return {std::move(revenue), "revenue over last 28 days"};
    }
  }
  return {std::vector<double>(count, count > 0 ? 1.0 / static_cast<double>(count) : 0.0), "equal"};
}

nlohmann::ordered_json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::vector<WindowForecast> rolling_forecasts(const Forecaster& method,
                                              const ForecastOptions& options,
                                              std::string_view series_id,
                                              const SeriesInput& input, size_t horizon,
                                              size_t windows) {
  const std::span<const double> values = input.target;
  std::vector<WindowForecast> results;
  for (size_t w = 0; w < windows; ++w) {
    if (!window_has_history(values.size(), horizon, windows, w)) continue;
    const size_t origin = values.size() - (windows - w) * horizon;
    results.push_back({w, origin,
                       forecast_series(method, options, series_id, input.before(origin, horizon),
                                       horizon)});
  }
  return results;
}

int BacktestReport::metric_index(std::string_view name) const {
  const auto& names = metric_names();
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

std::string BacktestReport::to_json() const {
  using Json = nlohmann::ordered_json;
  const auto& names = metric_names();
  Json root;
  root["horizon"] = horizon;
  root["windows"] = windows;
  root["weight_basis"] = weight_basis;
  root["coverage_interval"] =
      Json::array({number_or_null(coverage_lower_level), number_or_null(coverage_upper_level)});
  Json method_list = Json::array();
  for (const MethodReport& method : methods) {
    Json entry;
    entry["method"] = method.method;
    Json aggregate = Json::object();
    for (size_t m = 0; m < names.size(); ++m) aggregate[names[m]] = number_or_null(method.aggregate[m]);
    entry["metrics"] = std::move(aggregate);
    Json rows = Json::array();
    for (size_t i = 0; i < method.per_series.size(); ++i) {
      Json row;
      row["series_id"] = series_ids[i];
      row["weight"] = number_or_null(weights[i]);
      row["scored_windows"] = method.scored_windows[i];
      for (size_t m = 0; m < names.size(); ++m) row[names[m]] = number_or_null(method.per_series[i][m]);
      rows.push_back(std::move(row));
    }
    entry["per_series"] = std::move(rows);
    entry["warnings"] = method.warnings;
    method_list.push_back(std::move(entry));
  }
  root["methods"] = std::move(method_list);
  // Series ids come from user files: replace invalid UTF-8 rather than fail.
  return root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

BacktestReport run_backtest(const Dataset& dataset, const std::vector<std::string>& methods,
                            size_t horizon, size_t windows, const Options& options) {
  // Unknown method names fail here, before any work.
  std::vector<std::unique_ptr<Forecaster>> owned;
  std::vector<const Forecaster*> forecasters;
  for (const std::string& name : methods) {
    owned.push_back(make_forecaster(name, options.forecast));
    forecasters.push_back(owned.back().get());
  }
  return run_backtest(dataset, forecasters, methods, horizon, windows, options);
}

BacktestReport run_backtest(const Dataset& dataset, std::span<const Forecaster* const> forecasters,
                            std::span<const std::string> methods, size_t horizon, size_t windows,
                            const Options& options) {
  if (forecasters.size() != methods.size())
    fail(ErrorCode::InvalidArgument, "backtest: {} forecasters for {} method names",
         forecasters.size(), methods.size());
  if (horizon == 0) fail(ErrorCode::InvalidArgument, "backtest: horizon must be at least 1");
  if (windows == 0) fail(ErrorCode::InvalidArgument, "backtest: windows must be at least 1");
  if (windows > std::numeric_limits<size_t>::max() / horizon)
    fail(ErrorCode::InvalidArgument, "backtest: {} windows of {} days overflow", windows, horizon);
  if (methods.empty()) fail(ErrorCode::InvalidArgument, "backtest: no method given");

  const ForecastOptions& forecast_options = options.forecast;

  BacktestReport report;
  report.horizon = horizon;
  report.windows = windows;
  const size_t series_count = dataset.series.size();
  for (const Series& series : dataset.series) report.series_ids.push_back(series.id);
  std::tie(report.weights, report.weight_basis) = series_weights(dataset, horizon);
  const std::span<const double> levels(forecast_options.quantiles);
  const std::optional<IntervalLevels> interval = coverage_interval(levels);
  report.coverage_lower_level = interval ? levels[interval->lower] : kNaN;
  report.coverage_upper_level = interval ? levels[interval->upper] : kNaN;

  const SeriesInputs inputs(dataset);
  for (size_t k = 0; k < methods.size(); ++k) {
    const Forecaster& forecaster = *forecasters[k];
    std::vector<SeriesScore> scores(series_count);
    parallel_for(series_count, forecast_options.threads, options.progress,
                    fmt::format("backtest {}", methods[k]), [&](size_t i) {
                      scores[i] = score_series(forecaster, forecast_options, dataset.series[i],
                                               inputs.latest(i), horizon, windows, interval);
                    });

    MethodReport result;
    result.method = methods[k];
    std::vector<double> per_series_rmsse(series_count);
    for (size_t i = 0; i < series_count; ++i) per_series_rmsse[i] = scores[i].metrics[kRmsse];
    double included_weight = 0.0;
    for (size_t i = 0; i < series_count; ++i)
      if (std::isfinite(per_series_rmsse[i])) included_weight += report.weights[i];

    size_t scored_days = 0;
    double smape_sum = 0.0, coverage_sum = 0.0, bias_sum = 0.0;
    QuantileLossParts quantile_loss;
    std::vector<double> per_series_mase(series_count);
    for (size_t i = 0; i < series_count; ++i) {
      SeriesScore& score = scores[i];
      score.metrics[kWrmsse] = std::isfinite(per_series_rmsse[i]) && included_weight > 0.0
                                   ? report.weights[i] * per_series_rmsse[i] / included_weight
                                   : kNaN;
      per_series_mase[i] = score.metrics[kMase];
      scored_days += score.scored_days;
      smape_sum += score.smape_sum;
      coverage_sum += score.coverage_sum;
      bias_sum += score.bias_sum;
      quantile_loss.pinball_sum += score.quantile_loss.pinball_sum;
      quantile_loss.abs_actual_sum += score.quantile_loss.abs_actual_sum;
      for (auto& warning : score.warnings) result.warnings.push_back(std::move(warning));
      result.scored_windows.push_back(score.scored_windows);
      result.per_series.push_back(std::move(score.metrics));
    }
    result.aggregate.assign(kMetricCount, kNaN);
    result.aggregate[kMase] = mean_of_finite(per_series_mase);
    result.aggregate[kRmsse] = mean_of_finite(per_series_rmsse);
    result.aggregate[kWrmsse] = wrmsse(per_series_rmsse, report.weights);
    result.aggregate[kSmape] = ratio_or_nan(smape_sum, scored_days);
    result.aggregate[kWql] = weighted_quantile_loss(quantile_loss, levels.size());
    result.aggregate[kCoverage] = interval ? ratio_or_nan(coverage_sum, scored_days) : kNaN;
    result.aggregate[kBias] = ratio_or_nan(bias_sum, scored_days);
    report.methods.push_back(std::move(result));
  }
  return report;
}

}  // namespace invforecast
