#include "core/options.hpp"

#include <algorithm>
#include <cmath>

#include "core/number_text.hpp"
#include "error.hpp"
#include "core/option_parsing.hpp"

namespace invforecast {

namespace option_parsing {

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

double number(std::string_view key, std::string_view value) {
  const std::optional<double> out = parse_finite(value);
  if (!out) fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not a finite number", key, value);
  return *out;
}

int64_t integer(std::string_view key, std::string_view value, int64_t min, int64_t max) {
  const std::optional<int64_t> out = parse_integer<int64_t>(value);
  if (!out || *out < min || *out > max)
    fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not an integer in [{}, {}]", key,
         value, min, max);
  return *out;
}

std::uint64_t seed(std::string_view key, std::string_view value) {
  const std::optional<std::uint64_t> out = parse_integer<std::uint64_t>(value);
  if (!out)
    fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not a non-negative integer", key, value);
  return *out;
}

std::vector<double> levels(std::string_view key, std::string_view value) {
  std::vector<double> levels;
  for (std::string_view part : split(value, ',')) {
    const double q = number(key, part);
    if (!(q > 0.0 && q < 1.0))
      fail(ErrorCode::InvalidArgument, "option '{}': level {} is not in (0, 1)", key, part);
    if (!levels.empty() && q <= levels.back())
      fail(ErrorCode::InvalidArgument, "option '{}': levels must be strictly ascending", key);
    levels.push_back(q);
  }
  if (levels.size() > 99) fail(ErrorCode::InvalidArgument, "option '{}': at most 99 levels", key);
  return levels;
}

std::vector<std::string> names(std::string_view key, std::string_view value) {
  std::vector<std::string> out;
  for (std::string_view part : split(value, ',')) {
    if (part.empty()) fail(ErrorCode::InvalidArgument, "option '{}': an empty name in '{}'", key, value);
    if (std::find(out.begin(), out.end(), part) != out.end())
      fail(ErrorCode::InvalidArgument, "option '{}': '{}' is listed twice", key, part);
    out.emplace_back(part);
  }
  return out;
}

std::string word(std::string_view key, std::string_view value,
                 std::initializer_list<std::string_view> accepted) {
  std::string list;
  for (std::string_view name : accepted) {
    if (name == value) return std::string(value);
    list += list.empty() ? "" : ", ";
    list += name;
  }
  fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not one of {}", key, value, list);
}

}  // namespace option_parsing

namespace {

using namespace option_parsing;

constexpr OptionDomains kModelRun = kForecastDomain | kTrainDomain;
constexpr OptionDomains kComputing = kForecastDomain | kTrainDomain | kInventoryDomain;

// The one table of keys and domains; each domain's set() must accept
// exactly the keys listed for it (tests/test_options.cpp checks).
constexpr OptionKey kOptionKeys[] = {
    {"duplicates", kDataDomain},
    {"negative", kDataDomain},
    {"missing_days", kDataDomain},
    {"outliers", kDataDomain},
    {"outlier_k", kDataDomain},
    {"series_column", kDataDomain},
    {"date_column", kDataDomain},
    {"value_column", kDataDomain},
    {"past_only", kDataDomain | kTrainDomain},
    {"fill_future", kDataDomain},
    // The model's levels when training a new one.
    {"quantiles", kModelRun},
    {"season_length", kForecastDomain},
    {"ma_window", kForecastDomain},
    {"strict", kForecastDomain},
    {"auto_methods", kForecastDomain},
    {"auto_windows", kForecastDomain},
    {"open_column", kForecastDomain},
    {"ensemble_methods", kForecastDomain},
    {"ensemble_windows", kForecastDomain},
    {"ensemble_top", kForecastDomain},
    {"threads", kComputing},
    {"backend", kModelRun},
    {"service_level", kInventoryDomain},
    {"fill_rate", kInventoryDomain},
    {"service_measure", kInventoryDomain},
    {"regime", kInventoryDomain},
    {"samples", kInventoryDomain},
    // Each domain keeps its own: training draws weights and windows from
    // it, inventory its Monte Carlo paths.
    {"seed", kTrainDomain | kInventoryDomain},
    {"dependence", kInventoryDomain},
    {"copula_rho", kInventoryDomain},
    {"lead_time", kSimulationDomain},
    {"lead_time_sd", kSimulationDomain},
    {"review_period", kSimulationDomain},
    {"history_days", kSimulationDomain},
    {"context_length", kTrainDomain},
    {"patch_length", kTrainDomain},
    {"stride", kTrainDomain},
    {"d_model", kTrainDomain},
    {"heads", kTrainDomain},
    {"ffn_dim", kTrainDomain},
    {"layers", kTrainDomain},
    {"horizon", kTrainDomain},
    {"normalization", kTrainDomain},
    {"head", kTrainDomain},
    {"norm_eps", kTrainDomain},
    {"covariates", kTrainDomain},
    {"embedding_dim", kTrainDomain},
    {"decoder_dim", kTrainDomain},
    {"epochs", kTrainDomain},
    {"steps_per_epoch", kTrainDomain},
    {"batch_size", kTrainDomain},
    {"warmup_steps", kTrainDomain},
    {"min_history", kTrainDomain},
    {"holdout_days", kTrainDomain},
    {"patience", kTrainDomain},
    {"learning_rate", kTrainDomain},
    {"min_learning_rate", kTrainDomain},
    {"weight_decay", kTrainDomain},
    {"clip_norm", kTrainDomain},
    {"loss", kTrainDomain},
    {"sampling", kTrainDomain},
    {"loss_weighting", kTrainDomain},
    {"objective", kTrainDomain},
    {"mask_ratio", kTrainDomain},
    {"finetune", kTrainDomain},
    {"lora_rank", kTrainDomain},
    {"lora_alpha", kTrainDomain},
    {"checkpoint", kTrainDomain},
    {"resume", kTrainDomain},
};

int parse_int(std::string_view key, std::string_view value, int min, int max) {
  return static_cast<int>(integer(key, value, min, max));
}

// A comma-separated list of method names, none empty nor one of `refused`.
std::vector<std::string> method_names(std::string_view key, std::string_view value,
                                      std::initializer_list<std::string_view> refused) {
  std::vector<std::string> methods;
  for (std::string_view part : split(value, ',')) {
    if (part.empty() || std::find(refused.begin(), refused.end(), part) != refused.end())
      fail(ErrorCode::InvalidArgument, "option '{}': '{}' cannot be listed (not: {})", key, part,
           fmt::join(refused, ", "));
    methods.emplace_back(part);
  }
  return methods;
}

const char* measure_key(ServiceMeasure measure) {
  return measure == ServiceMeasure::FillRate ? "fill_rate" : "service_level";
}

}  // namespace

std::span<const OptionKey> option_keys() { return kOptionKeys; }

OptionDomains option_domains(std::string_view key) {
  for (const OptionKey& k : kOptionKeys)
    if (k.name == key) return k.domains;
  fail(ErrorCode::InvalidArgument, "unknown option '{}'", key);
}

std::string domain_names(OptionDomains domains) {
  std::vector<const char*> names;
  if (domains & kDataDomain) names.push_back("data");
  if (domains & kForecastDomain) names.push_back("forecasting");
  if (domains & kTrainDomain) names.push_back("training");
  if (domains & kInventoryDomain) names.push_back("inventory");
  if (domains & kSimulationDomain) names.push_back("simulation");
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += std::string(i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return text;
}

bool IngestOptions::set(std::string_view key, std::string_view value) {
  if (key == "duplicates") {
    duplicates = choice<DuplicatePolicy>(
        key, value, {{"error", DuplicatePolicy::Error}, {"sum", DuplicatePolicy::Sum}});
  } else if (key == "negative") {
    negative = choice<NegativePolicy>(
        key, value, {{"error", NegativePolicy::Error}, {"clip", NegativePolicy::Clip}});
  } else if (key == "missing_days") {
    missing_days = choice<MissingDayPolicy>(
        key, value, {{"zero", MissingDayPolicy::Zero}, {"error", MissingDayPolicy::Error}});
  } else if (key == "outliers") {
    outliers = choice<OutlierPolicy>(
        key, value, {{"none", OutlierPolicy::None}, {"clip", OutlierPolicy::Clip}});
  } else if (key == "outlier_k") {
    const double k = number(key, value);
    if (k <= 0.0) fail(ErrorCode::InvalidArgument, "option 'outlier_k': must be > 0, got {}", value);
    outlier_k = k;
  } else if (key == "series_column" || key == "date_column" || key == "value_column") {
    if (value.empty()) fail(ErrorCode::InvalidArgument, "option '{}': empty column name", key);
    (key == "series_column" ? series_column
     : key == "date_column" ? date_column
                            : value_column) = std::string(value);
  } else if (key == "past_only") {
    past_only = names(key, value);
  } else if (key == "fill_future") {
    fill_future =
        choice<FutureFill>(key, value, {{"none", FutureFill::None}, {"last", FutureFill::Last}});
  } else {
    return false;
  }
  return true;
}

bool ForecastOptions::set(std::string_view key, std::string_view value) {
  if (key == "quantiles") {
    quantiles = levels(key, value);
  } else if (key == "season_length") {
    season_length = parse_int(key, value, 2, 366);
  } else if (key == "ma_window") {
    ma_window = parse_int(key, value, 1, 3660);
  } else if (key == "strict") {
    strict = choice<bool>(key, value, {{"false", false}, {"true", true}});
  } else if (key == "auto_methods") {
    // auto chooses among single methods: an ensemble would nest the two backtests.
    auto_methods = method_names(key, value, {"auto", "ensemble"});
  } else if (key == "auto_windows") {
    auto_windows = parse_int(key, value, 1, 100);
  } else if (key == "open_column") {
    if (value.empty()) fail(ErrorCode::InvalidArgument, "option 'open_column': empty column name");
    open_column = std::string(value);
  } else if (key == "ensemble_methods") {
    // The model is a member when the ensemble is made with one.
    ensemble_methods = method_names(key, value, {"ensemble", "model"});
  } else if (key == "ensemble_windows") {
    ensemble_windows = parse_int(key, value, 1, 100);
  } else if (key == "ensemble_top") {
    ensemble_top = parse_int(key, value, 0, 100);
  } else if (key == "threads") {
    threads = parse_int(key, value, 0, 4096);
  } else if (key == "backend") {
    // The one mapping from a name to a backend: unknown or unavailable ones are Unsupported.
    backend = kernels::backend_named(value).kind();
  } else {
    return false;
  }
  return true;
}

ServiceMeasure InventoryOptions::service_measure() const {
  return measure.value_or(target_key.value_or(ServiceMeasure::CycleServiceLevel));
}

bool InventoryOptions::set(std::string_view key, std::string_view value) {
  if (key == "service_level" || key == "fill_rate") {
    const ServiceMeasure kind =
        key == "fill_rate" ? ServiceMeasure::FillRate : ServiceMeasure::CycleServiceLevel;
    if (target_key && *target_key != kind)
      fail(ErrorCode::InvalidArgument,
           "options 'service_level' and 'fill_rate' are both set: give one target (a cycle "
           "service level or a fill rate; 'service_measure' names the measure)");
    if (measure && *measure != kind)
      fail(ErrorCode::InvalidArgument,
           "option '{}' contradicts option 'service_measure' = '{}': set the target of that "
           "measure, or leave 'service_measure' unset",
           key, measure_key(*measure));
    std::vector<double> targets;
    for (std::string_view part : split(value, ',')) {
      const double target = number(key, part);
      if (!(target > 0.0 && target < 1.0))
        fail(ErrorCode::InvalidArgument, "option '{}': must be in (0, 1), got {}", key, part);
      targets.push_back(target);
    }
    target_key = kind;
    service_target = targets.front();
    service_targets = std::move(targets);
  } else if (key == "service_measure") {
    const ServiceMeasure kind = choice<ServiceMeasure>(
        key, value,
        {{"service_level", ServiceMeasure::CycleServiceLevel},
         {"fill_rate", ServiceMeasure::FillRate}});
    if (target_key && *target_key != kind)
      fail(ErrorCode::InvalidArgument,
           "option 'service_measure' = '{}' contradicts option '{}', the target already set",
           value, measure_key(*target_key));
    measure = kind;
  } else if (key == "regime") {
    backorder = choice<bool>(key, value, {{"lost_sales", false}, {"backorder", true}});
  } else if (key == "samples") {
    samples = static_cast<size_t>(parse_int(key, value, 1, 10'000'000));
  } else if (key == "seed") {
    seed = option_parsing::seed(key, value);
  } else if (key == "dependence") {
    dependence = word(key, value, {"independent", "comonotonic", "gaussian_copula"});
  } else if (key == "copula_rho") {
    const double rho = number(key, value);
    if (!(rho >= 0.0 && rho <= 1.0))
      fail(ErrorCode::InvalidArgument, "option 'copula_rho': must be in [0, 1], got {}", value);
    copula_rho = rho;
  } else if (key == "threads") {
    threads = parse_int(key, value, 0, 4096);
  } else if (key == "lead_time") {
    lead_time_days = parse_int(key, value, 1, 3660);
  } else if (key == "lead_time_sd") {
    const double sd = number(key, value);
    if (sd < 0.0) fail(ErrorCode::InvalidArgument, "option 'lead_time_sd': must be >= 0, got {}", value);
    lead_time_sd = sd;
  } else if (key == "review_period") {
    review_period_days = parse_int(key, value, 1, 3660);
  } else if (key == "history_days") {
    history_days = parse_int(key, value, 0, 1'000'000);
  } else {
    return false;
  }
  return true;
}

void Options::set(std::string_view key, std::string_view value) {
  const OptionDomains domains = option_domains(key);
  // Parsed into copies first, so that a bad value leaves every domain as it was.
  IngestOptions new_ingest = ingest;
  ForecastOptions new_forecast = forecast;
  InventoryOptions new_inventory = inventory;
  TrainingSettings new_training = training;
  const bool parsed[] = {
      (domains & kDataDomain) == 0 || new_ingest.set(key, value),
      (domains & kForecastDomain) == 0 || new_forecast.set(key, value),
      (domains & kTrainDomain) == 0 || set_training_option(new_training, key, value),
      // InventoryOptions holds the simulator's settings too.
      (domains & (kInventoryDomain | kSimulationDomain)) == 0 || new_inventory.set(key, value),
  };
  if (std::find(std::begin(parsed), std::end(parsed), false) != std::end(parsed))
    fail(ErrorCode::Internal, "option '{}' is not parsed by every domain the table gives it", key);
  if (std::find(keys_set_.begin(), keys_set_.end(), key) == keys_set_.end())
    keys_set_.emplace_back(key);
  ingest = std::move(new_ingest);
  forecast = std::move(new_forecast);
  inventory = std::move(new_inventory);
  training = std::move(new_training);
}

void Options::require_domains(std::string_view call, OptionDomains domains) const {
  for (const std::string& key : keys_set_) {
    const OptionDomains own = option_domains(key);
    if ((own & domains) == 0)
      fail(ErrorCode::InvalidArgument, "option '{}' does not apply to {}; it is a{} {} option",
           key, call, own == kInventoryDomain ? "n" : "",
           domain_names(own));
  }
}

void Options::refuse_keys(std::string_view call, std::initializer_list<std::string_view> keys,
                          std::string_view reason) const {
  for (std::string_view key : keys)
    if (std::find(keys_set_.begin(), keys_set_.end(), key) != keys_set_.end())
      fail(ErrorCode::InvalidArgument, "option '{}' does not apply to {}; {}", key, call, reason);
}

void report_progress(const ProgressFn& progress, std::string_view stage, size_t done,
                     size_t total) {
  if (progress && !progress(stage, done, total))
    fail(ErrorCode::Cancelled, "cancelled by the progress callback during {}", stage);
}

}  // namespace invforecast
