#include "core/options.hpp"

#include <charconv>
#include <cmath>
#include <thread>

#include "error.hpp"

namespace invforecast {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

double parse_number(std::string_view key, std::string_view value) {
  double out = 0.0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc{} || ptr != value.data() + value.size() || !std::isfinite(out))
    fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not a finite number", key, value);
  return out;
}

int parse_int(std::string_view key, std::string_view value, int min, int max) {
  int out = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc{} || ptr != value.data() + value.size() || out < min || out > max)
    fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not an integer in [{}, {}]", key,
         value, min, max);
  return out;
}

template <typename Enum>
Enum parse_choice(std::string_view key, std::string_view value,
                  std::initializer_list<std::pair<std::string_view, Enum>> choices) {
  std::string accepted;
  for (const auto& [name, e] : choices) {
    if (name == value) return e;
    accepted += accepted.empty() ? "" : ", ";
    accepted += name;
  }
  fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not one of {}", key, value, accepted);
}

}  // namespace

void Options::set(std::string_view key, std::string_view value) {
  if (key == "duplicates") {
    ingest.duplicates = parse_choice<DuplicatePolicy>(
        key, value, {{"error", DuplicatePolicy::Error}, {"sum", DuplicatePolicy::Sum}});
  } else if (key == "negative") {
    ingest.negative = parse_choice<NegativePolicy>(
        key, value, {{"error", NegativePolicy::Error}, {"clip", NegativePolicy::Clip}});
  } else if (key == "missing_days") {
    ingest.missing_days = parse_choice<MissingDayPolicy>(
        key, value, {{"zero", MissingDayPolicy::Zero}, {"error", MissingDayPolicy::Error}});
  } else if (key == "outliers") {
    ingest.outliers = parse_choice<OutlierPolicy>(
        key, value, {{"none", OutlierPolicy::None}, {"clip", OutlierPolicy::Clip}});
  } else if (key == "outlier_k") {
    const double k = parse_number(key, value);
    if (k <= 0.0) fail(ErrorCode::InvalidArgument, "option 'outlier_k': must be > 0, got {}", value);
    ingest.outlier_k = k;
  } else if (key == "series_column" || key == "date_column" || key == "value_column") {
    if (value.empty()) fail(ErrorCode::InvalidArgument, "option '{}': empty column name", key);
    (key == "series_column" ? ingest.series_column
     : key == "date_column" ? ingest.date_column
                            : ingest.value_column) = std::string(value);
  } else if (key == "quantiles") {
    std::vector<double> levels;
    for (std::string_view part : split(value, ',')) {
      const double q = parse_number(key, part);
      if (!(q > 0.0 && q < 1.0))
        fail(ErrorCode::InvalidArgument, "option 'quantiles': level {} is not in (0, 1)", part);
      if (!levels.empty() && q <= levels.back())
        fail(ErrorCode::InvalidArgument, "option 'quantiles': levels must be strictly ascending");
      levels.push_back(q);
    }
    if (levels.size() > 99) fail(ErrorCode::InvalidArgument, "option 'quantiles': at most 99 levels");
    forecast.quantiles = std::move(levels);
  } else if (key == "season_length") {
    forecast.season_length = parse_int(key, value, 2, 366);
  } else if (key == "ma_window") {
    forecast.ma_window = parse_int(key, value, 1, 3660);
  } else if (key == "strict") {
    forecast.strict = parse_choice<bool>(key, value, {{"false", false}, {"true", true}});
  } else if (key == "auto_methods") {
    std::vector<std::string> methods;
    for (std::string_view part : split(value, ',')) {
      if (part.empty() || part == "auto")
        fail(ErrorCode::InvalidArgument, "option 'auto_methods': '{}' is not a candidate", part);
      methods.emplace_back(part);
    }
    forecast.auto_methods = std::move(methods);
  } else if (key == "auto_windows") {
    forecast.auto_windows = parse_int(key, value, 1, 100);
  } else if (key == "threads") {
    forecast.threads = parse_int(key, value, 0, 4096);
  } else if (key == "backend") {
    // The one mapping from a name to a backend: unknown or unavailable ones are Unsupported.
    forecast.backend = kernels::backend_named(value).kind();
  } else if (key == "service_level" || key == "fill_rate") {
    std::vector<double> targets;
    for (std::string_view part : split(value, ',')) {
      const double target = parse_number(key, part);
      if (!(target > 0.0 && target < 1.0))
        fail(ErrorCode::InvalidArgument, "option '{}': must be in (0, 1), got {}", key, part);
      targets.push_back(target);
    }
    inventory.fill_rate_target = key == "fill_rate";
    inventory.service_target = targets.front();
    inventory.service_targets = std::move(targets);
  } else if (key == "regime") {
    inventory.backorder =
        parse_choice<bool>(key, value, {{"lost_sales", false}, {"backorder", true}});
  } else if (key == "samples") {
    inventory.samples = static_cast<size_t>(parse_int(key, value, 1, 10'000'000));
  } else if (key == "seed") {
    std::uint64_t seed = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seed);
    if (ec != std::errc{} || ptr != value.data() + value.size())
      fail(ErrorCode::InvalidArgument, "option 'seed': '{}' is not a non-negative integer", value);
    inventory.seed = seed;
  } else if (key == "dependence") {
    inventory.dependence = std::string(parse_choice<std::string_view>(
        key, value,
        {{"independent", "independent"},
         {"comonotonic", "comonotonic"},
         {"gaussian_copula", "gaussian_copula"}}));
  } else if (key == "copula_rho") {
    const double rho = parse_number(key, value);
    if (!(rho >= 0.0 && rho <= 1.0))
      fail(ErrorCode::InvalidArgument, "option 'copula_rho': must be in [0, 1], got {}", value);
    inventory.copula_rho = rho;
  } else if (key == "lead_time") {
    inventory.lead_time_days = parse_int(key, value, 1, 3660);
  } else if (key == "lead_time_sd") {
    const double sd = parse_number(key, value);
    if (sd < 0.0) fail(ErrorCode::InvalidArgument, "option 'lead_time_sd': must be >= 0, got {}", value);
    inventory.lead_time_sd = sd;
  } else if (key == "review_period") {
    inventory.review_period_days = parse_int(key, value, 1, 3660);
  } else if (key == "history_days") {
    inventory.history_days = parse_int(key, value, 0, 1'000'000);
  } else if (!set_training_option(training, key, value)) {
    fail(ErrorCode::InvalidArgument, "unknown option '{}'", key);
  }
}

void report_progress(const ProgressFn& progress, std::string_view stage, size_t done,
                     size_t total) {
  if (progress && !progress(stage, done, total))
    fail(ErrorCode::Cancelled, "cancelled by the progress callback during {}", stage);
}

}  // namespace invforecast
