// invforecast backtest: rolling-origin accuracy of one or more methods.
#include <cstdio>
#include <memory>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct BacktestFlags {
  IngestFlags ingest;
  CovariateFlags covariates;
  long long horizon = 0;
  long long windows = 1;
  std::string methods;
  std::string model;  // model file, for method "model" or "ensemble"
  std::string quantiles;
  std::string open_column;
  bool strict = false;
  int threads = 0;
  bool json = false;
  ProgressMode progress = ProgressMode::Auto;
};

void run_backtest(const BacktestFlags& flags) {
  if (flags.horizon <= 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--horizon must be a positive number of days, got " +
                          std::to_string(flags.horizon));
  if (flags.windows <= 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--windows must be a positive count, got " + std::to_string(flags.windows));
  const std::vector<std::string> methods = split_list(flags.methods);
  if (methods.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "--method names no method");
  check_model_flag(methods, flags.model);
  Settings settings;
  flags.ingest.apply(settings);
  if (!flags.open_column.empty()) settings.set("open_column", flags.open_column);
  if (flags.strict) settings.set("strict", "true");
  settings.set("threads", std::to_string(flags.threads));
  settings.require_read(INVF_DOMAIN_DATA | INVF_DOMAIN_FORECAST, "backtest");
  // The methods and the model are checked before the data is read, so a typo fails fast.
  std::unique_ptr<invf::Model> model;
  if (!flags.model.empty()) {
    const invf::Options load = settings.for_call(INVF_DOMAIN_FORECAST);
    model = std::make_unique<invf::Model>(invf::Model::load(flags.model, &load));
    // Every method is scored on the same levels: by default the model's.
    if (flags.quantiles.empty()) {
      std::string levels;
      for (double level : model->quantile_levels())
        levels += (levels.empty() ? "" : ",") + std::to_string(level);
      settings.set("quantiles", levels);
    }
  }
  if (!flags.quantiles.empty()) settings.set("quantiles", flags.quantiles);
  ProgressBar bar(flags.progress);
  bar.attach(settings);
  const invf::Options options = settings.for_call(INVF_DOMAIN_FORECAST);
  std::vector<invf::Forecaster> forecasters;
  for (const std::string& method : methods)
    forecasters.push_back(make_forecaster(method, model.get(), options));

  const invf::Options ingest = settings.for_call(INVF_DOMAIN_DATA);
  invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &ingest);
  flags.covariates.read_into(dataset, ingest);
  std::vector<const invf::Forecaster*> pointers;
  for (const invf::Forecaster& f : forecasters) pointers.push_back(&f);
  const invf::Backtest backtest =
      invf::Backtest::run_forecasters(dataset, pointers, static_cast<size_t>(flags.horizon),
                          static_cast<size_t>(flags.windows), &options);
  if (flags.json) {
    std::printf("%s\n", backtest.to_json().c_str());
    return;
  }
  static const char* const metrics[] = {"mase", "rmsse", "wrmsse", "smape",
                                        "wql",  "coverage80", "bias"};
  static const char* const headers[] = {"MASE", "RMSSE", "WRMSSE", "sMAPE", "WQL", "cov80", "bias"};
  std::printf("backtest of %zu series: %lld windows x %lld days\n", dataset.series_count(),
              flags.windows, flags.horizon);
  std::printf("%-10s", "method");
  for (const char* header : headers) std::printf("  %8s", header);
  std::printf("\n");
  for (size_t m = 0; m < backtest.method_count(); ++m) {
    std::printf("%-10s", backtest.method_name(m).c_str());
    for (const char* metric : metrics) std::printf("  %8.4f", backtest.metric(m, metric));
    std::printf("\n");
  }
}

}  // namespace

void register_backtest(CLI::App& app) {
  auto flags = std::make_shared<BacktestFlags>();
  CLI::App* command = app.add_subcommand(
      "backtest", "Rolling-origin backtest: accuracy of methods on each series' last days");
  flags->ingest.add_to(*command);
  flags->covariates.add_to(*command, false);
  command->add_option("--horizon,-H", flags->horizon, "Days per window (1 to 3660)")
      ->required()
      ->type_name("DAYS");
  command->add_option("--windows,-k", flags->windows,
                      "Rolling origins, horizon days apart; the last ends on each series' last date")
      ->capture_default_str();
  command
      ->add_option("--method,-m", flags->methods,
                   "Comma-separated methods: naive, snaive, ma, ets, croston, sba, tsb, auto, "
                   "model (see --model), ensemble (with the model as a member when --model is "
                   "given; its inner backtest sees only the days before each window)")
      ->required();
  command->add_option("--model", flags->model,
                      "Model file for method model and a member of ensemble; train it on data "
                      "that ends before the scored days, or the figures flatter it")
      ->type_name("FILE");
  command->add_option("--quantiles", flags->quantiles, "Quantile levels for WQL (default 0.1..0.9)");
  command->add_flag("--strict", flags->strict,
                    "Fail on a series too short for a method instead of falling back");
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")
      ->capture_default_str();
  command->add_flag("--json", flags->json, "Print the full report (per series too) as JSON");
  add_open_column_flag(*command, flags->open_column);
  add_progress_flag(*command, flags->progress);
  command->callback([flags] { run_backtest(*flags); });
}

}  // namespace invforecast_cli
