#include "common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace invforecast_cli {

Settings& Settings::set(const std::string& key, const std::string& value) {
  checked_.set(key, value);
  for (auto& pair : pairs_)
    if (pair.first == key) {
      pair.second = value;
      return *this;
    }
  pairs_.emplace_back(key, value);
  return *this;
}

void Settings::set_progress(invf::ProgressFunction function) { progress_ = std::move(function); }

invf::Options Settings::for_call(uint32_t domains) const {
  invf::Options options;
  for (const auto& [key, value] : pairs_)
    if ((invf::option_domains(key) & domains) != 0) options.set(key, value);
  if (progress_) options.set_progress(progress_);
  return options;
}

void Settings::require_read(uint32_t domains, const std::string& command) const {
  for (const auto& pair : pairs_)
    if ((invf::option_domains(pair.first) & domains) == 0)
      throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "option '" + pair.first +
                                                       "' does not apply to invforecast " +
                                                       command);
}

void IngestFlags::add_to(CLI::App& command) {
  command.add_option("--data", data, "Long CSV of daily sales (series_id,date,value,...), .gz ok")
      ->required()
      ->type_name("FILE");
  command.add_option("--duplicates", duplicates, "Repeated (series, date) rows: error or sum")
      ->check(CLI::IsMember({"error", "sum"}))
      ->capture_default_str();
  command.add_option("--negative", negative, "Negative sales: error, or clip them to 0")
      ->check(CLI::IsMember({"error", "clip"}))
      ->capture_default_str();
  command.add_option("--missing-days", missing_days,
                     "Days absent inside a series: zero (fill with 0) or error")
      ->check(CLI::IsMember({"zero", "error"}))
      ->capture_default_str();
  command.add_option("--outliers", outliers, "Outlier rule: none, or clip at median + k*MAD")
      ->check(CLI::IsMember({"none", "clip"}))
      ->capture_default_str();
  command.add_option("--set", settings,
                     "Any library option as key=value (e.g. season_length=7), given to the steps "
                     "that read it (a key none reads is an error); repeatable");
}

void IngestFlags::apply(Settings& options) const {
  options.set("duplicates", duplicates)
      .set("negative", negative)
      .set("missing_days", missing_days)
      .set("outliers", outliers);
  for (const std::string& setting : settings) {
    const size_t equals = setting.find('=');
    if (equals == std::string::npos)
      throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                        "--set '" + setting + "' is not of the form key=value");
    options.set(setting.substr(0, equals), setting.substr(equals + 1));
  }
}

void CovariateFlags::add_to(CLI::App& command, bool with_future) {
  command.add_option("--static", statics,
                     "CSV of static attributes: series_id and attribute columns, one row per "
                     "series; a series the history lacks is a new product")
      ->type_name("FILE");
  if (!with_future) return;
  command.add_option("--future", future,
                     "Long CSV of known-future covariates (series_id,date and the history's "
                     "known-future columns, no value) for the days after each series' history, "
                     "covering the horizon; a series the history lacks is a new product")
      ->type_name("FILE");
  command.add_option("--fill-future", fill_future,
                     "Missing dates, columns or series of --future: none (an error) or last "
                     "(carry each series' last known value forward, with a warning)")
      ->check(CLI::IsMember({"none", "last"}))
      ->capture_default_str();
  command.add_option("--past-only", past_only,
                     "Comma-separated covariates not known in advance (left out of --future)")
      ->type_name("COLS");
}

void CovariateFlags::apply(Settings& settings) const {
  if (!past_only.empty()) settings.set("past_only", past_only);
  if (fill_future != "none") settings.set("fill_future", fill_future);
}

void CovariateFlags::read_into(invf::Dataset& dataset, const invf::Options& ingest) const {
  if (!statics.empty()) dataset.read_static_csv(statics, &ingest);
  if (!future.empty()) dataset.read_future_csv(future, &ingest);
}

void InventoryFlags::add_to(CLI::App& command, bool required) {
  CLI::Option* state =
      command
          .add_option("--inventory", inventory,
                      "State CSV: sku,on_hand,lead_time_mean[,lead_time_sd,review_period,moq,"
                      "pack_size,max_stock,on_order,backorders,holding_cost,shortage_cost,"
                      "order_cost,service_level|fill_rate (per-SKU target),overage_cost "
                      "(newsvendor)]; lead_time_samples (e.g. 3;4;6) may replace "
                      "lead_time_mean/sd")
          ->type_name("FILE");
  if (required) state->required();
  command
      .add_option("--open-orders", open_orders,
                  "Open-orders CSV: sku,quantity,arrival_day (days from today, 0 = today) or "
                  "sku,quantity,arrival_date; an order counts only if it arrives before the end "
                  "of the protection interval (lead time + review period)")
      ->type_name("FILE");
  command.add_option("--service-level", service_level,
                     "Cycle service level target in (0,1): P(no stockout in a cycle); a SKU's "
                     "service_level or fill_rate column overrides it");
  command.add_option("--fill-rate", fill_rate,
                     "Fill-rate target in (0,1): share of demand served from stock");
  command.add_option("--regime", regime, "Unmet demand: lost_sales or backorder")
      ->check(CLI::IsMember({"lost_sales", "backorder"}))
      ->capture_default_str();
  command
      .add_option("--dependence", dependence,
                  "Dependence between the days of demand: independent, comonotonic, or "
                  "gaussian_copula (equal correlation --copula-rho between days)")
      ->check(CLI::IsMember({"independent", "comonotonic", "gaussian_copula"}))
      ->capture_default_str();
  command.add_option("--copula-rho", copula_rho,
                     "Correlation in [0,1] between days, for --dependence gaussian_copula");
  command.add_option("--samples", samples, "Monte Carlo paths per SKU")->capture_default_str();
  command.add_option("--seed", seed, "Random seed (same seed, same result)")->capture_default_str();
}

std::vector<std::pair<std::string, std::string>> InventoryFlags::keys(bool newsvendor,
                                                                      bool target_required) const {
  const bool has_level = !std::isnan(service_level);
  const bool has_fill = !std::isnan(fill_rate);
  if (newsvendor && (has_level || has_fill))
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--mode newsvendor takes no service target: the critical ratio of "
                      "shortage_cost and overage_cost sets it");
  if (!newsvendor && has_level && has_fill)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "give one service target: --service-level or --fill-rate");
  if (!newsvendor && target_required && !has_level && !has_fill)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "give exactly one service target: --service-level or --fill-rate");
  if (samples <= 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--samples must be positive, got " + std::to_string(samples));
  // Shortest round-trip text, so the library sees exactly the value given.
  auto text = [](double value) {
    char out[32];
    std::snprintf(out, sizeof out, "%.17g", value);
    return std::string(out);
  };
  std::vector<std::pair<std::string, std::string>> out;
  if (!newsvendor) {
    if (has_level || has_fill)
      out.emplace_back(has_level ? "service_level" : "fill_rate",
                       text(has_level ? service_level : fill_rate));
    out.emplace_back("regime", regime);  // a newsvendor buy carries nothing over
  }
  out.emplace_back("dependence", dependence);
  out.emplace_back("samples", std::to_string(samples));
  out.emplace_back("seed", std::to_string(seed));
  if (!std::isnan(copula_rho)) {
    if (dependence != "gaussian_copula")
      throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                        "--copula-rho is only used with --dependence gaussian_copula");
    out.emplace_back("copula_rho", text(copula_rho));
  }
  return out;
}

invf::Inventory InventoryFlags::load() const {
  invf::Inventory state = invf::Inventory::load_csv(inventory);
  if (!open_orders.empty()) state.load_open_orders_csv(open_orders);
  return state;
}

void TrainingFlags::add_to(CLI::App& command) {
  command.add_option("--epochs", epochs, "Epochs (default 10)");
  command.add_option("--steps-per-epoch", steps_per_epoch, "Optimiser steps per epoch (default 100)");
  command.add_option("--batch-size", batch_size, "Windows per step (default 64)");
  command.add_option("--learning-rate", learning_rate, "Peak learning rate (default 1e-3)");
  command.add_option("--seed", seed, "Seed of the weights and the window draws (default 1)");
  command
      .add_option("--threads", threads,
                  "Worker threads, 0 = all cores; the model depends on it (bit-identical for "
                  "the same count)")
      ->capture_default_str();
}

void TrainingFlags::apply(Settings& options) const {
  options.set("threads", std::to_string(threads));
  if (epochs > 0) options.set("epochs", std::to_string(epochs));
  if (steps_per_epoch > 0) options.set("steps_per_epoch", std::to_string(steps_per_epoch));
  if (batch_size > 0) options.set("batch_size", std::to_string(batch_size));
  if (learning_rate > 0.0) {
    char text[32];  // every digit: std::to_string would round 1e-7 to "0.000000"
    std::snprintf(text, sizeof text, "%.17g", learning_rate);
    options.set("learning_rate", text);
  }
  if (seed >= 0) options.set("seed", std::to_string(seed));
}

void add_open_column_flag(CLI::App& command, std::string& column) {
  command
      .add_option("--open-column", column,
                  "Known-future trading-calendar column, 1 open and 0 closed (e.g. is_open): "
                  "every method forecasts 0 on closed days, the classical ones are fitted on "
                  "open days only")
      ->type_name("COL");
}

void add_progress_flag(CLI::App& command, ProgressMode& mode) {
  command
      .add_option_function<std::string>(
          "--progress",
          [&mode](const std::string& value) {
            mode = value == "always" ? ProgressMode::Always
                   : value == "never" ? ProgressMode::Never
                                      : ProgressMode::Auto;
          },
          "Progress on stderr: auto (on a terminal, after 1 s), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN")
      ->default_str("auto");
}

ProgressBar::ProgressBar(ProgressMode mode)
    : mode_(mode), terminal_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (line_open_) std::fputc('\n', stderr);  // a line left open by an error or a cancel
}

void ProgressBar::attach(Settings& settings) {
  if (mode_ == ProgressMode::Never) return;
  settings.set_progress(
      [this](std::string_view stage, size_t done, size_t total) { return update(stage, done, total); });
}

bool ProgressBar::update(std::string_view stage, size_t done, size_t total) {
  if (mode_ == ProgressMode::Auto &&
      (!terminal_ || std::chrono::steady_clock::now() - start_ < std::chrono::seconds(1)))
    return true;
  const int percent = total == 0 ? 100 : static_cast<int>(100 * done / total);
  // Redraw only when something visible changes.
  if (percent == last_percent_ && stage == last_stage_) return true;
  if (!terminal_ && stage == last_stage_ && percent / 10 == last_percent_ / 10 && percent != 100)
    return true;  // a log gets one line per 10%
  if (line_open_ && stage != last_stage_) std::fputc('\n', stderr);
  last_percent_ = percent;
  last_stage_ = std::string(stage);
  constexpr int width = 30;
  const int filled = percent * width / 100;
  // A finished stage closes its line, so that later output starts on a new one.
  const bool close_line = !terminal_ || percent == 100;
  std::fprintf(stderr, "%s%.*s [%s%s] %3d%% (%zu/%zu)%s", terminal_ ? "\r" : "",
               static_cast<int>(stage.size()), stage.data(), std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), percent, done, total,
               close_line ? "\n" : "");
  std::fflush(stderr);
  line_open_ = !close_line;
  return true;
}

std::string add_days(const std::string& iso, long days) {
  using namespace std::chrono;
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(iso.c_str(), "%d-%u-%u", &y, &m, &d) != 3)
    throw invf::Error(INVF_ERR_INTERNAL, "the library returned a malformed date '" + iso + "'");
  const year_month_day date{sys_days{year{y} / month{m} / day{d}} + std::chrono::days{days}};
  char text[INVF_DATE_BUFFER];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ','))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

void check_model_flag(const std::vector<std::string>& methods, const std::string& model_file) {
  const auto lists = [&](const char* name) {
    return std::find(methods.begin(), methods.end(), name) != methods.end();
  };
  if (lists("model") && model_file.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "--method model needs --model FILE");
  if (!lists("model") && !lists("ensemble") && !model_file.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--model is only used with --method model or ensemble");
}

invf::Forecaster make_forecaster(const std::string& method, const invf::Model* model,
                                 const invf::Options& options) {
  if (method == "model") return invf::Forecaster::from_model(*model, &options);
  if (method == "ensemble") return invf::Forecaster::ensemble(model, &options);
  return invf::Forecaster(method, &options);
}

void print_warnings(const std::vector<std::string>& warnings, size_t limit) {
  for (size_t w = 0; w < warnings.size() && w < limit; ++w)
    std::fprintf(stderr, "invforecast: warning: %s\n", warnings[w].c_str());
  if (warnings.size() > limit)
    std::fprintf(stderr, "invforecast: warning: ... and %zu more warnings\n",
                 warnings.size() - limit);
}

}  // namespace invforecast_cli
