// invforecast tune: which context length (days of history the model reads)
// works best, chosen by validation.  One model is trained per candidate on
// the data minus its last H days (the hold-out), then scored on that
// hold-out; the candidate with the lowest WQL is kept.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct TuneFlags {
  IngestFlags ingest;
  long long horizon = 0;
  std::string contexts;
  std::string out;
  TrainingFlags training;  // the same seed for every candidate
  bool json = false;
  ProgressMode progress = ProgressMode::Auto;
};

// One context length tried: trained and scored, or skipped with a reason.
struct Candidate {
  long long context = 0;
  std::string skipped;
  std::string epochs_run, best_epoch, best_val_loss;  // model provenance
  double wrmsse = NAN, wql = NAN, coverage80 = NAN;
  double seconds = 0.0;
  std::unique_ptr<invf::Model> model;
};

// Option keys that tune sets itself, or that make no sense for a
// comparison of new forecasting models.
constexpr const char* kReservedKeys[] = {"context_length", "horizon",    "holdout_days",
                                         "objective",      "finetune",   "checkpoint",
                                         "resume"};

std::vector<long long> parse_contexts(const std::string& text) {
  std::vector<long long> contexts;
  for (const std::string& part : split_list(text)) {
    long long days = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), days);
    if (error != std::errc{} || end != part.data() + part.size() || days <= 0)
      throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                        "--contexts: '" + part + "' is not a positive number of days");
    contexts.push_back(days);
  }
  if (contexts.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "--contexts names no context length");
  // Ascending, so that a tie in WQL keeps the shorter (cheaper) context.
  std::sort(contexts.begin(), contexts.end());
  contexts.erase(std::unique(contexts.begin(), contexts.end()), contexts.end());
  return contexts;
}

double parse_number(const std::string& text) {
  double value = NAN;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

nlohmann::json json_number(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

void print_row(const Candidate& c) {
  if (!c.skipped.empty()) {
    std::printf("%7lld  skipped: %s\n", c.context, c.skipped.c_str());
  } else {
    std::printf("%7lld  %6s  %4s  %8.5f  %8.4f  %8.4f  %6.4f  %7.1f\n", c.context,
                c.epochs_run.c_str(), c.best_epoch.c_str(), parse_number(c.best_val_loss),
                c.wrmsse, c.wql, c.coverage80, c.seconds);
  }
  std::fflush(stdout);
}

void run_tune(const TuneFlags& flags) {
  if (flags.horizon <= 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--horizon must be a positive number of days, got " +
                          std::to_string(flags.horizon));
  const std::vector<long long> contexts = parse_contexts(flags.contexts);
  for (const std::string& setting : flags.ingest.settings)
    for (const char* key : kReservedKeys)
      if (setting.substr(0, setting.find('=')) == key)
        throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                          "--set " + std::string(key) +
                              " is not for tune: it trains new forecasting models and sets "
                              "context_length, horizon and holdout_days itself");

  Settings options;
  flags.ingest.apply(options);
  flags.training.apply(options);
  const std::string horizon = std::to_string(flags.horizon);
  // The trainer validates on the last H days and never trains on them; the
  // backtest below scores the same days.
  options.set("horizon", horizon).set("holdout_days", horizon);

  options.require_read(INVF_DOMAIN_DATA | INVF_DOMAIN_TRAIN | INVF_DOMAIN_FORECAST, "tune");
  const invf::Options ingest = options.for_call(INVF_DOMAIN_DATA);
  const invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &ingest);
  // A training window's target ends before the hold-out, so the last one
  // starts 2H days before the end of its series.
  long long longest = 0;
  for (size_t s = 0; s < dataset.series_count(); ++s)
    longest = std::max(longest, static_cast<long long>(dataset.series_length(s)));
  const long long history = longest - 2 * flags.horizon;

  if (!flags.json) {
    std::printf(
        "tune of %zu series: horizon %lld days; each model is validated and scored on the last "
        "%lld days of every series (the hold-out, never trained on)\n",
        dataset.series_count(), flags.horizon, flags.horizon);
    std::printf("%7s  %6s  %4s  %8s  %8s  %8s  %6s  %7s\n", "context", "epochs", "best",
                "val_loss", "WRMSSE", "WQL", "cov80", "seconds");
  }
  std::vector<Candidate> candidates;
  for (long long context : contexts) {
    Candidate& c = candidates.emplace_back();
    c.context = context;
    if (context > history) {
      c.skipped = "no training window holds " + std::to_string(context) +
                  " days of history (the longest series has " +
                  std::to_string(std::max(0LL, history)) +
                  " before its last training target, its length minus twice the horizon)";
    } else {
      options.set("context_length", std::to_string(context));
      const auto start = std::chrono::steady_clock::now();
      const invf::Options training = options.for_call(INVF_DOMAIN_TRAIN);
      try {
        c.model = std::make_unique<invf::Model>(invf::Model::train(
            dataset, nullptr, &training, [&](const invf_train_progress& p) {
              if (flags.progress != ProgressMode::Never && p.epoch_end)
                std::fprintf(stderr,
                             "context %lld: epoch %zu/%zu  train loss %.5f  val loss %.5f\n",
                             context, p.epoch, p.epochs, p.train_loss, p.val_loss);
              return true;
            }));
      } catch (const invf::Error& e) {
        // A context the architecture or data cannot take is not fatal:
        // the other candidates still run.
        if (e.code() == INVF_ERR_CANCELLED) throw;
        c.skipped = e.what();
      }
      if (c.model) {
        const invf::Options forecasting = options.for_call(INVF_DOMAIN_FORECAST);
        const invf::Forecaster forecaster =
            invf::Forecaster::from_model(*c.model, &forecasting);
        const invf::Backtest backtest = invf::Backtest::run_forecasters(
            dataset, {&forecaster}, static_cast<size_t>(flags.horizon), 1, &forecasting);
        c.wrmsse = backtest.metric(0, "wrmsse");
        c.wql = backtest.metric(0, "wql");
        c.coverage80 = backtest.metric(0, "coverage80");
        c.epochs_run = c.model->provenance("epochs_run");
        c.best_epoch = c.model->provenance("best_epoch");
        c.best_val_loss = c.model->provenance("best_val_loss");
      }
      c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    if (!flags.json) print_row(c);
  }

  // Lowest WQL; candidates are ascending, so a tie keeps the shorter context.
  const Candidate* best = nullptr;
  for (const Candidate& c : candidates)
    if (c.model && std::isfinite(c.wql) && (best == nullptr || c.wql < best->wql)) best = &c;
  if (best == nullptr) {
    std::string reasons;
    for (const Candidate& c : candidates)
      reasons += (reasons.empty() ? "" : "; ") + std::to_string(c.context) + ": " +
                 (c.skipped.empty() ? "WQL undefined (no sales in the hold-out)" : c.skipped);
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "no context length could be scored (" + reasons + ")");
  }
  best->model->save(flags.out);
  print_warnings(dataset.warnings(), 10);

  if (flags.json) {
    nlohmann::json out;
    out["series"] = dataset.series_count();
    out["horizon"] = flags.horizon;
    out["holdout_days"] = flags.horizon;
    out["criterion"] = "wql";
    out["candidates"] = nlohmann::json::array();
    for (const Candidate& c : candidates) {
      nlohmann::json row = {{"context_length", c.context}, {"trained", c.skipped.empty()}};
      if (c.skipped.empty()) {
        row["epochs_run"] = std::stoll(c.epochs_run);
        row["best_epoch"] = std::stoll(c.best_epoch);
        row["best_val_loss"] = json_number(parse_number(c.best_val_loss));
        row["wrmsse"] = json_number(c.wrmsse);
        row["wql"] = json_number(c.wql);
        row["coverage80"] = json_number(c.coverage80);
        row["seconds"] = c.seconds;
      } else {
        row["reason"] = c.skipped;
      }
      out["candidates"].push_back(std::move(row));
    }
    out["kept_context_length"] = best->context;
    out["out"] = flags.out;
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("kept context %lld days (lowest WQL, %.4f); wrote %s\n", best->context, best->wql,
              flags.out.c_str());
}

}  // namespace

void register_tune(CLI::App& app) {
  auto flags = std::make_shared<TuneFlags>();
  CLI::App* command = app.add_subcommand(
      "tune",
      "Choose the context length (days of history the model reads) by validation and write "
      "the best model");
  command->footer(
      "Each candidate trains a new model on every series minus its last H days and is\n"
      "scored on those H days: the validation hold-out, the days the trainer validates\n"
      "on (and stops early on), with the same --seed for every candidate. The lowest WQL\n"
      "wins, ties going to the shorter context.\n"
      "The selection has used the hold-out, so its scores are not a test: for an\n"
      "untouched test, cut the test period from the data before tuning.\n"
      "A context is skipped (reported, not fatal) when it is longer than the longest\n"
      "series minus 2H days (no training window holds it) or shorter than patch_length\n"
      "(16 by default; with the default end padding any context >= patch_length works).");
  flags->ingest.add_to(*command);
  command->add_option("--horizon,-H", flags->horizon, "Days the models forecast; also the hold-out")
      ->required()
      ->type_name("DAYS");
  command->add_option("--contexts", flags->contexts,
                      "Comma-separated context lengths to try, in days (e.g. 56,112,224,336)")
      ->required()
      ->type_name("DAYS,...");
  command->add_option("--out,-o", flags->out, "Model file to write: the best candidate")
      ->required()
      ->type_name("FILE");
  flags->training.add_to(*command);
  command->add_flag("--json", flags->json, "Print the candidates and the choice as JSON");
  add_progress_flag(*command, flags->progress);
  command->callback([flags] { run_tune(*flags); });
}

}  // namespace invforecast_cli
