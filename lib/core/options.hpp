// Settings shared by the data layer, the forecasters and the backtest, parsed
// from the C API's key/value strings in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend.hpp"
#include "core/training_options.hpp"

namespace invforecast {

enum class DuplicatePolicy { Error, Sum };
enum class NegativePolicy { Error, Clip };
enum class MissingDayPolicy { Zero, Error };
enum class OutlierPolicy { None, Clip };

struct IngestOptions {
  DuplicatePolicy duplicates = DuplicatePolicy::Error;
  NegativePolicy negative = NegativePolicy::Error;
  MissingDayPolicy missing_days = MissingDayPolicy::Zero;
  OutlierPolicy outliers = OutlierPolicy::None;
  double outlier_k = 10.0;
  std::string series_column = "series_id";
  std::string date_column = "date";
  std::string value_column = "value";
};

// Called with (stage, done, total); returns false to cancel.
using ProgressFn = std::function<bool(std::string_view stage, size_t done, size_t total)>;

struct ForecastOptions {
  std::vector<double> quantiles = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  int season_length = 7;
  int ma_window = 28;
  bool strict = false;
  std::vector<std::string> auto_methods = {"snaive", "ets", "croston", "sba", "tsb", "ma"};
  int auto_windows = 3;
  int threads = 0;  // 0 = hardware concurrency
  kernels::BackendKind backend = kernels::BackendKind::Cpu;  // neural models only
};

// Replenishment settings (invf_replenish).  Unset fields keep the engine's
// defaults (lib/inventory), so those are stated in one place only.
struct InventoryOptions {
  bool fill_rate_target = false;        // "fill_rate" set last, else "service_level"
  std::optional<double> service_target;  // in (0, 1); the first of service_targets
  std::vector<double> service_targets;   // every target given (a list runs the simulator once per target)
  bool backorder = false;               // "regime": lost_sales (default) | backorder
  std::optional<size_t> samples;
  std::optional<std::uint64_t> seed;
  std::string dependence = "independent";  // independent | comonotonic | gaussian_copula
  std::optional<double> copula_rho;        // in [0, 1]
  // Policy simulator (invf_simulate) only.
  std::optional<int> lead_time_days;     // fixed, >= 1 (the mean with lead_time_sd)
  std::optional<double> lead_time_sd;    // >= 0: uncertain lead time per order
  std::optional<int> review_period_days;  // >= 1
  std::optional<int> history_days;       // 0 = all history
};

struct Options {
  IngestOptions ingest;
  ForecastOptions forecast;
  InventoryOptions inventory;
  TrainingSettings training;  // invf_train
  ProgressFn progress;  // may be empty

  // Throws Error(InvalidArgument) naming the key for an unknown key or a bad value.
  void set(std::string_view key, std::string_view value);
};

// Reports progress; throws Error(Cancelled) when the callback asks to stop.
void report_progress(const ProgressFn& progress, std::string_view stage, size_t done, size_t total);

}  // namespace invforecast
