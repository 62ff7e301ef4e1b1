// invforecast forecast: forecast every series and write the long CSV.
#include <cstdio>
#include <memory>
#include <optional>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct ForecastFlags {
  IngestFlags ingest;
  CovariateFlags covariates;
  long long horizon = 0;
  std::string method;
  std::string model;  // model file, for --method model or ensemble
  std::string out;
  std::string quantiles;
  std::string open_column;
  bool strict = false;
  int threads = 0;
  ProgressMode progress = ProgressMode::Auto;
};

void run_forecast(const ForecastFlags& flags) {
  if (flags.horizon <= 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--horizon must be a positive number of days, got " +
                          std::to_string(flags.horizon));
  check_model_flag({flags.method}, flags.model);
  const bool neural = flags.method == "model";
  if (neural && !flags.quantiles.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--quantiles does not apply to --method model: the levels are the model's");
  Settings settings;
  flags.ingest.apply(settings);
  flags.covariates.apply(settings);
  if (!flags.quantiles.empty()) settings.set("quantiles", flags.quantiles);
  if (!flags.open_column.empty()) settings.set("open_column", flags.open_column);
  if (flags.strict) settings.set("strict", "true");
  settings.set("threads", std::to_string(flags.threads));
  settings.require_read(INVF_DOMAIN_DATA | INVF_DOMAIN_FORECAST, "forecast");
  ProgressBar bar(flags.progress);
  bar.attach(settings);

  // The method (or model file) is checked before the data is read, so a typo fails fast.
  const invf::Options options = settings.for_call(INVF_DOMAIN_FORECAST);
  std::optional<invf::Model> model;
  if (!flags.model.empty()) model.emplace(invf::Model::load(flags.model, &options));
  const invf::Forecaster forecaster =
      make_forecaster(flags.method, model ? &*model : nullptr, options);
  const invf::Options ingest = settings.for_call(INVF_DOMAIN_DATA);
  invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &ingest);
  flags.covariates.read_into(dataset, ingest);
  const invf::Forecast forecast =
      forecaster.forecast(dataset, static_cast<size_t>(flags.horizon));
  forecast.write_csv(flags.out);
  // Warnings after success only, so that a failure is reported by one line.
  print_warnings(dataset.warnings(), 10);
  print_warnings(forecast.warnings(), 10);
  std::printf("wrote %s: %zu series x %zu days, method %s\n", flags.out.c_str(),
              forecast.series_count(), forecast.horizon(), flags.method.c_str());
}

}  // namespace

void register_forecast(CLI::App& app) {
  auto flags = std::make_shared<ForecastFlags>();
  CLI::App* command = app.add_subcommand(
      "forecast", "Forecast days 1..H after each series' last date and write a long CSV");
  flags->ingest.add_to(*command);
  flags->covariates.add_to(*command, true);
  command->add_option("--horizon,-H", flags->horizon, "Days to forecast (1 to 3660)")
      ->required()
      ->type_name("DAYS");
  command
      ->add_option("--method,-m", flags->method,
                   "naive, snaive, ma, ets, croston, sba, tsb, auto (per-series choice by "
                   "backtest), model (a neural model file, see --model) or ensemble (the model "
                   "when given and ets, tsb, snaive, weighted per series by backtest error; "
                   "--set keys ensemble_methods, ensemble_windows, ensemble_top tune it)")
      ->required();
  command
      ->add_option("--model", flags->model,
                   "Model file (invforecast format) for --method model, or a member of "
                   "--method ensemble (whose levels are then the model's); it reads each series' "
                   "last context_length days (shorter ones are left-padded with zeros, with a "
                   "warning) and forecasts up to its own horizon. --set backend=reference picks "
                   "the reference kernels")
      ->type_name("FILE");
  command->add_option("--out,-o", flags->out,
                      "Output CSV: series_id,date,mean,q0.1,...,q0.9, one row per series per day")
      ->required()
      ->type_name("FILE");
  command->add_option("--quantiles", flags->quantiles,
                      "Quantile levels, ascending in (0,1), e.g. 0.05,0.5,0.95 (default 0.1..0.9)");
  command->add_flag("--strict", flags->strict,
                    "Fail on a series too short for the method instead of falling back");
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")
      ->capture_default_str();
  add_open_column_flag(*command, flags->open_column);
  add_progress_flag(*command, flags->progress);
  command->callback([flags] { run_forecast(*flags); });
}

}  // namespace invforecast_cli
