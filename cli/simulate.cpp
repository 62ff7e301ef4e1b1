// invforecast simulate: replays the last test days of every series through
// the replenishment policy with each method's forecasts (built-in methods and
// a neural model file), for one or more service targets.
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct SimulateFlags {
  IngestFlags ingest;
  std::string methods;
  std::string model;  // model file, for method "model"
  long long test_days = 0;
  std::vector<double> service_levels;
  double fill_rate = NAN;
  long long lead_time = 2;
  double lead_time_sd = 0.0;
  long long review_period = 1;
  std::string regime = "lost_sales";
  long long samples = 2000;
  long long history_days = 0;
  std::string open_column;
  int threads = 0;
  bool json = false;
  ProgressMode progress = ProgressMode::Auto;
};

std::string exact_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

void run_simulate(const SimulateFlags& flags) {
  if (flags.test_days <= 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--test-days must be a positive number of days, got " +
                          std::to_string(flags.test_days));
  const std::vector<std::string> methods = split_list(flags.methods);
  if (methods.empty()) throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "--method names no method");
  const bool has_fill = !std::isnan(flags.fill_rate);
  if (flags.service_levels.empty() == !has_fill)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "give exactly one service target: --service-level (one or more) or --fill-rate");
  if (flags.lead_time <= 0 || flags.review_period <= 0 || flags.samples <= 0 || flags.history_days < 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--lead-time, --review-period and --samples must be positive, --history-days >= 0");
  check_model_flag(methods, flags.model);
  Settings settings;
  flags.ingest.apply(settings);
  if (!flags.open_column.empty()) settings.set("open_column", flags.open_column);
  settings.set("threads", std::to_string(flags.threads))
      .set("lead_time", std::to_string(flags.lead_time))
      .set("lead_time_sd", exact_text(flags.lead_time_sd))
      .set("review_period", std::to_string(flags.review_period))
      .set("regime", flags.regime)
      .set("samples", std::to_string(flags.samples))
      .set("history_days", std::to_string(flags.history_days));
  // All targets in one run: each method forecasts each decision day once.
  std::string key = has_fill ? "fill_rate" : "service_level";
  std::string targets = has_fill ? exact_text(flags.fill_rate) : "";
  for (double level : flags.service_levels) targets += (targets.empty() ? "" : ",") + exact_text(level);
  settings.set(key, targets);
  constexpr uint32_t simulate_domains =
      INVF_DOMAIN_SIMULATION | INVF_DOMAIN_INVENTORY | INVF_DOMAIN_FORECAST;
  settings.require_read(INVF_DOMAIN_DATA | simulate_domains, "simulate");
  ProgressBar bar(flags.progress);
  bar.attach(settings);
  const invf::Options options = settings.for_call(INVF_DOMAIN_FORECAST);
  // Methods and the model file are checked before the data is read, so a typo fails fast.
  std::optional<invf::Model> model;
  if (!flags.model.empty()) model.emplace(invf::Model::load(flags.model, &options));
  std::vector<invf::Forecaster> forecasters;
  forecasters.reserve(methods.size());
  for (const std::string& method : methods)
    forecasters.push_back(make_forecaster(method, model ? &*model : nullptr, options));
  std::vector<const invf::Forecaster*> pointers;
  for (const invf::Forecaster& forecaster : forecasters) pointers.push_back(&forecaster);
  const invf::Options ingest = settings.for_call(INVF_DOMAIN_DATA);
  const invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &ingest);

  const invf::Options simulate = settings.for_call(simulate_domains);
  const invf::Simulation simulation =
      invf::Simulation::run(dataset, pointers, static_cast<size_t>(flags.test_days), &simulate);
  if (flags.json) {
    // Always an array of reports, one per target.
    const std::string json = simulation.to_json();
    const bool several = flags.service_levels.size() > 1;
    std::printf("%s%s%s\n", several ? "" : "[", json.c_str(), several ? "" : "]");
    return;
  }
  const size_t rows = simulation.method_count();
  for (size_t r = 0; r < rows; ++r) {
    if (r % methods.size() == 0) {
      std::printf("%s%s %g, lead time %lld", r == 0 ? "" : "\n", key.c_str(),
                  simulation.value(r, "service_target"), flags.lead_time);
      if (flags.lead_time_sd > 0.0) std::printf(" (sd %g)", flags.lead_time_sd);
      std::printf(", review %lld, last %lld days\n", flags.review_period, flags.test_days);
      std::printf("%-10s %7s %9s %9s %9s %13s %8s\n", "method", "series", "fill_rate", "cycle_sl",
                  "stockouts", "avg_inventory", "orders");
    }
    std::printf("%-10s %7.0f %9.4f %9.4f %9.0f %13.2f %8.0f\n", simulation.method_name(r).c_str(),
                simulation.value(r, "series"), simulation.value(r, "fill_rate"),
                simulation.value(r, "cycle_service_level"), simulation.value(r, "stockout_days"),
                simulation.value(r, "avg_inventory"), simulation.value(r, "orders"));
  }
}

}  // namespace

void register_simulate(CLI::App& app) {
  auto flags = std::make_shared<SimulateFlags>();
  CLI::App* command = app.add_subcommand(
      "simulate",
      "Replay the last test days through the order-up-to policy with each method's forecasts");
  flags->ingest.add_to(*command);
  command
      ->add_option("--method,-m", flags->methods,
                   "Comma-separated methods: naive, snaive, ma, ets, croston, sba, tsb, auto, "
                   "model (a neural model file, see --model), ensemble (the model a member when "
                   "given)")
      ->required();
  command
      ->add_option("--model", flags->model,
                   "Model file (invforecast format) for method model and a member of ensemble; "
                   "each decision day it reads "
                   "the last context_length days before that day")
      ->type_name("FILE");
  command
      ->add_option("--test-days", flags->test_days,
                   "The last N days of each series are replayed; each decision uses only the days "
                   "before it")
      ->required()
      ->type_name("DAYS");
  command->add_option("--service-level", flags->service_levels,
                      "Cycle service level target(s) in (0,1), comma-separated: each method "
                      "forecasts once per decision day for all of them")
      ->delimiter(',');
  command->add_option("--fill-rate", flags->fill_rate, "Fill-rate target in (0,1) instead");
  command->add_option("--lead-time", flags->lead_time, "Lead time in days (the mean with --lead-time-sd)")
      ->capture_default_str();
  command
      ->add_option("--lead-time-sd", flags->lead_time_sd,
                   "Uncertain lead time: each order's lead time drawn from Normal(--lead-time, "
                   "this) in whole days >= 1, repeatably; decisions mix over it (0 = fixed)")
      ->capture_default_str();
  command->add_option("--review-period", flags->review_period, "Days between reviews")
      ->capture_default_str();
  command->add_option("--regime", flags->regime, "Unmet demand: lost_sales or backorder")
      ->check(CLI::IsMember({"lost_sales", "backorder"}))
      ->capture_default_str();
  command->add_option("--samples", flags->samples, "Monte Carlo paths per decision")
      ->capture_default_str();
  command->add_option("--history-days", flags->history_days,
                      "Fit each forecast on the last N days before the decision (0 = all)")
      ->capture_default_str();
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")
      ->capture_default_str();
  command->add_flag("--json", flags->json,
                    "Print a JSON array: one report per service target, each with one object per "
                    "method (method, fill_rate, cycle_service_level, stockout_days, "
                    "avg_inventory, orders, costs)");
  add_open_column_flag(*command, flags->open_column);
  add_progress_flag(*command, flags->progress);
  command->callback([flags] { run_simulate(*flags); });
}

}  // namespace invforecast_cli
