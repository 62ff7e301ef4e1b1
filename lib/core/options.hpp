// Settings of the data layer, the forecasters, training and inventory, parsed
// from the C API's key/value strings.  Each domain has its own struct, which
// parses its own keys; one table (option_keys()) says which key belongs to
// which domain(s), and each call states the domains it reads, so that a key
// set for another call is refused instead of passing silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/training_options.hpp"

namespace invforecast {

// Option domains, as bit flags (the C ABI's INVF_DOMAIN_* have the same values).
using OptionDomains = uint32_t;
inline constexpr OptionDomains kDataDomain = 1;       // ingestion: datasets
inline constexpr OptionDomains kForecastDomain = 2;   // forecasters, backtests, model handles
inline constexpr OptionDomains kTrainDomain = 4;      // invf_train
inline constexpr OptionDomains kInventoryDomain = 8;  // replenishment and the policy simulator
inline constexpr OptionDomains kSimulationDomain = 16;  // the policy simulator only

struct OptionKey {
  std::string_view name;
  OptionDomains domains;
};
// Every key, with the domains whose struct reads it.
std::span<const OptionKey> option_keys();
// The domains of `key`; Error(InvalidArgument) "unknown option" for an unknown key.
OptionDomains option_domains(std::string_view key);
// "training", "forecasting and training", "data, forecasting and inventory"
// ("simulation" for kSimulationDomain).
std::string domain_names(OptionDomains domains);

enum class DuplicatePolicy { Error, Sum };
enum class NegativePolicy { Error, Clip };
enum class MissingDayPolicy { Zero, Error };
enum class OutlierPolicy { None, Clip };
enum class FutureFill { None, Last };
enum class ServiceMeasure { CycleServiceLevel, FillRate };

struct IngestOptions {
  DuplicatePolicy duplicates = DuplicatePolicy::Error;
  NegativePolicy negative = NegativePolicy::Error;
  MissingDayPolicy missing_days = MissingDayPolicy::Zero;
  OutlierPolicy outliers = OutlierPolicy::None;
  double outlier_k = 10.0;
  std::string series_column = "series_id";
  std::string date_column = "date";
  std::string value_column = "value";
  // Covariates not known in advance ("past_only"): roles past-only, refused
  // in a future file.
  std::vector<std::string> past_only;
  // Missing dates, columns or series of a future file: refused, or each
  // series' last known value carried forward ("fill_future").
  FutureFill fill_future = FutureFill::None;

  // Sets `key` when it is a data key and returns true; false for any other
  // key.  Throws Error(InvalidArgument) naming the key for a bad value.
  bool set(std::string_view key, std::string_view value);
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
  // Method "ensemble" (methods/ensemble.hpp): its built-in members, inner
  // backtest windows and how many of the best members it keeps (0 = all).
  std::vector<std::string> ensemble_methods = {"ets", "tsb", "snaive"};
  int ensemble_windows = 3;
  int ensemble_top = 2;
  int threads = 0;  // 0 = hardware concurrency
  // A known-future trading-calendar column (1 open, 0 closed) whose closed
  // days every method forecasts as 0 (methods/closed_days.hpp); empty: none.
  std::string open_column;
  kernels::BackendKind backend = kernels::BackendKind::Cpu;  // neural models only

  // As IngestOptions::set, for forecasting keys.
  bool set(std::string_view key, std::string_view value);
};

// Replenishment and policy-simulation settings (invf_replenish,
// invf_newsvendor, invf_simulate).  Unset fields keep the engine's defaults
// (lib/inventory), so those are stated in one place only.
struct InventoryOptions {
  std::optional<double> service_target;  // in (0, 1); the first of service_targets
  std::vector<double> service_targets;   // every target given (a list runs the simulator once per target)
  // The key the target came from: "service_level" (cycle) or "fill_rate";
  // setting the other one too is refused.
  std::optional<ServiceMeasure> target_key;
  std::optional<ServiceMeasure> measure;  // "service_measure"; must agree with target_key
  bool backorder = false;               // "regime": lost_sales (default) | backorder
  std::optional<size_t> samples;
  std::optional<std::uint64_t> seed;    // of the Monte Carlo draws
  std::string dependence = "independent";  // independent | comonotonic | gaussian_copula
  std::optional<double> copula_rho;        // in [0, 1]
  int threads = 0;                         // 0 = hardware concurrency
  // Policy simulator (invf_simulate) only: the simulation domain's keys.
  std::optional<int> lead_time_days;     // fixed, >= 1 (the mean with lead_time_sd)
  std::optional<double> lead_time_sd;    // >= 0: uncertain lead time per order
  std::optional<int> review_period_days;  // >= 1
  std::optional<int> history_days;       // 0 = all history

  // The measure of the target: "service_measure", else the target's key,
  // else the cycle service level.
  ServiceMeasure service_measure() const;
  // As IngestOptions::set, for inventory keys; also refuses a target or
  // measure that contradicts one already set, naming both keys.
  bool set(std::string_view key, std::string_view value);
};

struct Options {
  IngestOptions ingest;
  ForecastOptions forecast;
  InventoryOptions inventory;
  TrainingSettings training;  // invf_train
  // May be empty.  Read by every long call (forecast, backtest, training,
  // replenishment, simulation).
  ProgressFn progress;

  // Sets `key` in every domain struct it belongs to.  Throws
  // Error(InvalidArgument) naming the key for an unknown key or a bad value;
  // a failed set changes nothing.
  void set(std::string_view key, std::string_view value);
  // Keys set so far, in the order first set.
  const std::vector<std::string>& keys_set() const { return keys_set_; }
  // Throws Error(InvalidArgument) for the first key set that belongs to none
  // of `domains`: "option 'seed' does not apply to invf_forecaster_create;
  // it is a training and inventory option".
  void require_domains(std::string_view call, OptionDomains domains) const;
  // Throws Error(InvalidArgument) when one of `keys` is set, for a call that
  // takes their domain but not them: "option 'k' does not apply to call; reason".
  void refuse_keys(std::string_view call, std::initializer_list<std::string_view> keys,
                   std::string_view reason) const;

 private:
  std::vector<std::string> keys_set_;
};

// Reports progress; throws Error(Cancelled) when the callback asks to stop.
void report_progress(const ProgressFn& progress, std::string_view stage, size_t done, size_t total);

}  // namespace invforecast
