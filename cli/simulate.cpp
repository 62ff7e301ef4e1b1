// invforecast simulate: replays the last test days of every series through
// the replenishment policy with each method's forecasts.
#include <cmath>
#include <cstdio>
#include <memory>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct SimulateFlags {
  IngestFlags ingest;
  std::string methods;
  long long test_days = 0;
  std::vector<double> service_levels;
  double fill_rate = NAN;
  long long lead_time = 2;
  long long review_period = 1;
  std::string regime = "lost_sales";
  long long samples = 2000;
  long long history_days = 0;
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
  invf::Options options;
  flags.ingest.apply(options);
  options.set("threads", std::to_string(flags.threads))
      .set("lead_time", std::to_string(flags.lead_time))
      .set("review_period", std::to_string(flags.review_period))
      .set("regime", flags.regime)
      .set("samples", std::to_string(flags.samples))
      .set("history_days", std::to_string(flags.history_days));
  // Targets are checked before the (slow) simulation starts.
  std::vector<std::pair<std::string, std::string>> targets;
  if (has_fill) targets.emplace_back("fill_rate", exact_text(flags.fill_rate));
  for (double level : flags.service_levels) targets.emplace_back("service_level", exact_text(level));
  for (const auto& [key, value] : targets) invf::Options().set(key, value);
  for (const std::string& method : methods) invf::Forecaster check(method, &options);
  ProgressBar bar(flags.progress);
  bar.attach(options);
  const invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &options);

  if (flags.json) std::printf("[");
  for (size_t t = 0; t < targets.size(); ++t) {
    options.set(targets[t].first, targets[t].second);
    const invf::Simulation simulation =
        invf::Simulation::run(dataset, methods, static_cast<size_t>(flags.test_days), &options);
    if (flags.json) {
      std::printf("%s%s", t == 0 ? "" : ",", simulation.to_json().c_str());
      continue;
    }
    std::printf("%s%s %g, lead time %lld, review %lld, last %lld days\n", t == 0 ? "" : "\n",
                targets[t].first.c_str(), std::stod(targets[t].second), flags.lead_time,
                flags.review_period, flags.test_days);
    std::printf("%-10s %7s %9s %9s %9s %13s %8s\n", "method", "series", "fill_rate", "cycle_sl",
                "stockouts", "avg_inventory", "orders");
    for (size_t m = 0; m < simulation.method_count(); ++m)
      std::printf("%-10s %7.0f %9.4f %9.4f %9.0f %13.2f %8.0f\n",
                  simulation.method_name(m).c_str(), simulation.value(m, "series"),
                  simulation.value(m, "fill_rate"), simulation.value(m, "cycle_service_level"),
                  simulation.value(m, "stockout_days"), simulation.value(m, "avg_inventory"),
                  simulation.value(m, "orders"));
  }
  if (flags.json) std::printf("]\n");
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
                   "Comma-separated methods: naive, snaive, ma, ets, croston, sba, tsb, auto")
      ->required();
  command
      ->add_option("--test-days", flags->test_days,
                   "The last N days of each series are replayed; each decision uses only the days "
                   "before it")
      ->required()
      ->type_name("DAYS");
  command->add_option("--service-level", flags->service_levels,
                      "Cycle service level target(s) in (0,1), comma-separated for several runs")
      ->delimiter(',');
  command->add_option("--fill-rate", flags->fill_rate, "Fill-rate target in (0,1) instead");
  command->add_option("--lead-time", flags->lead_time, "Fixed lead time in days")
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
  add_progress_flag(*command, flags->progress);
  command->callback([flags] { run_simulate(*flags); });
}

}  // namespace invforecast_cli
