// invforecast train: fit the transformer encoder on a dataset (a new model,
// or a fine-tune of an existing one) and write the model file.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct TrainFlags {
  IngestFlags ingest;
  long long horizon = 0;  // 0: the default (28) for a new model, the base's for --init
  std::string out;
  TrainingFlags training;
  long long context_length = 0;
  std::string init, finetune, objective, checkpoint, adapter, covariates, past_only, head;
  bool resume = false;
  ProgressMode progress = ProgressMode::Auto;
};

std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(std::lround(seconds));
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
  else
    std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  return text;
}

// One line per epoch (with the validation loss); on a terminal, a bar redrawn
// in place between epochs.
class TrainReporter {
 public:
  explicit TrainReporter(ProgressMode mode)
      : mode_(mode), terminal_(isatty(STDERR_FILENO) == 1) {}
  ~TrainReporter() {
    if (line_open_) std::fputc('\n', stderr);
  }

  bool update(const invf_train_progress& p) {
    if (mode_ == ProgressMode::Never) return true;
    if (p.epoch_end) {
      const bool improved = !std::isnan(p.val_loss) && !(p.val_loss >= best_val_);
      if (improved) best_val_ = p.val_loss;
      std::fprintf(stderr,
                   "%sepoch %zu/%zu  step %zu/%zu  train loss %.5f  val loss %.5f%s  %.0f "
                   "samples/s  ETA %s\n",
                   line_open_ ? "\r" : "", p.epoch, p.epochs, p.step, p.total_steps, p.train_loss,
                   p.val_loss, improved ? " (best)" : "", p.samples_per_second,
                   duration_text(p.eta_seconds).c_str());
      line_open_ = false;
    } else if (terminal_) {
      constexpr size_t width = 30;
      const size_t filled = p.total_steps ? width * p.step / p.total_steps : width;
      std::fprintf(stderr, "\rtrain [%s%s] step %zu/%zu  loss %.5f  ETA %s ",
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                   p.step, p.total_steps, p.train_loss, duration_text(p.eta_seconds).c_str());
      line_open_ = true;
    }
    std::fflush(stderr);
    return true;
  }

 private:
  ProgressMode mode_;
  bool terminal_;
  bool line_open_ = false;
  double best_val_ = INFINITY;
};

void run_train(const TrainFlags& flags) {
  const bool from_base = !flags.init.empty();
  if (!from_base && !flags.finetune.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "--finetune needs --init BASE_MODEL");
  if (flags.finetune == "lora" && flags.adapter.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--finetune lora needs --adapter FILE (the adapter is also written "
                      "merged into --out)");
  if (flags.finetune != "lora" && !flags.adapter.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "--adapter is only written by --finetune lora");

  Settings options;
  flags.ingest.apply(options);
  flags.training.apply(options);
  if (!flags.finetune.empty()) options.set("finetune", flags.finetune);
  if (!flags.objective.empty()) options.set("objective", flags.objective);
  if (!flags.checkpoint.empty()) options.set("checkpoint", flags.checkpoint);
  if (flags.resume) options.set("resume", "true");
  if (!flags.covariates.empty()) options.set("covariates", flags.covariates);
  if (!flags.past_only.empty()) options.set("past_only", flags.past_only);
  if (!flags.head.empty()) options.set("head", flags.head);

  std::unique_ptr<invf::Model> base;
  if (from_base) {
    const invf::Options load = options.for_call(INVF_DOMAIN_FORECAST);
    base = std::make_unique<invf::Model>(invf::Model::load(flags.init, &load));
    if (flags.horizon > 0 && flags.horizon != base->config("horizon"))
      throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                        "--horizon " + std::to_string(flags.horizon) + " differs from " +
                            flags.init + "'s horizon of " +
                            std::to_string(base->config("horizon")) +
                            " days (a fine-tune keeps the base model's shape)");
    if (flags.context_length > 0)
      throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                        "--context-length cannot change with --init: the base model fixes it");
  } else {
    if (flags.horizon > 0) options.set("horizon", std::to_string(flags.horizon));
    if (flags.context_length > 0)
      options.set("context_length", std::to_string(flags.context_length));
  }

  options.require_read(INVF_DOMAIN_DATA | INVF_DOMAIN_TRAIN, "train");
  const invf::Options ingest = options.for_call(INVF_DOMAIN_DATA);
  const invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &ingest);
  TrainReporter reporter(flags.progress);
  const auto start = std::chrono::steady_clock::now();
  const invf::Options training = options.for_call(INVF_DOMAIN_TRAIN);
  const invf::Model model = invf::Model::train(
      dataset, base.get(), &training,
      [&reporter](const invf_train_progress& p) { return reporter.update(p); });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model.save(flags.out);
  if (!flags.adapter.empty()) model.save_adapter(flags.adapter);
  print_warnings(dataset.warnings(), 10);
  std::printf(
      "wrote %s: %s model, context %lld days, horizon %lld days; %s epochs (best %s, "
      "validation loss %s), %s steps in %.1f s\n",
      flags.out.c_str(), model.provenance("objective").c_str(),
      static_cast<long long>(model.config("context_length")),
      static_cast<long long>(model.config("horizon")), model.provenance("epochs_run").c_str(),
      model.provenance("best_epoch").c_str(), model.provenance("best_val_loss").c_str(),
      model.provenance("steps").c_str(), seconds);
  if (!flags.adapter.empty()) std::printf("wrote adapter %s\n", flags.adapter.c_str());
  const std::vector<invf::Model::Feature> features = model.features();
  if (features.size() > 1) {
    std::printf("covariates:");
    for (size_t i = 1; i < features.size(); ++i)
      std::printf("%s %s (%s, %s)", i == 1 ? "" : ",", features[i].name.c_str(),
                  features[i].role.c_str(), features[i].kind.c_str());
    std::printf("\n");
  } else {
    std::printf("covariates: none (the sales history alone)\n");
  }
}

}  // namespace

void register_train(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* command = app.add_subcommand(
      "train",
      "Train the transformer encoder on every series (one global model) and write a model file");
  flags->ingest.add_to(*command);
  command->add_option("--horizon,-H", flags->horizon, "Days the model forecasts (new models; default 28)")
      ->type_name("DAYS");
  command->add_option("--out,-o", flags->out, "Model file to write (invforecast format)")
      ->required()
      ->type_name("FILE");
  flags->training.add_to(*command);
  command->add_option("--context-length", flags->context_length,
                      "Days of history the model reads (new models; default 336)");
  command->add_option("--covariates", flags->covariates,
                      "Columns the model reads: all (default; with the calendar), none (the "
                      "sales alone), calendar (no column), or a comma-separated list "
                      "(docs/covariates.md)");
  command->add_option("--past-only", flags->past_only,
                      "Comma-separated columns known only up to the forecast origin (the others "
                      "that vary are known in advance)");
  command->add_option("--head", flags->head,
                      "What the model forecasts per day (new models): quantile (default; the "
                      "pinball loss) or negbin (a negative binomial distribution, its "
                      "likelihood; docs/count_head.md)")
      ->check(CLI::IsMember({"quantile", "negbin"}));
  command->add_option("--init", flags->init, "Start from this model's weights (fine-tuning)")
      ->type_name("BASE_MODEL");
  command->add_option("--finetune", flags->finetune,
                      "With --init: full (every weight), head (the output head only) or lora "
                      "(low-rank adapters, see --adapter)")
      ->check(CLI::IsMember({"full", "head", "lora"}));
  command->add_option("--adapter", flags->adapter,
                      "With --finetune lora: also write the adapter alone (a small file that "
                      "loads over the base model)")
      ->type_name("FILE");
  command->add_option("--objective", flags->objective,
                      "forecast (default) or masked_patch (self-supervised pre-training, a base "
                      "for --init)")
      ->check(CLI::IsMember({"forecast", "masked_patch"}));
  command->add_option("--checkpoint", flags->checkpoint,
                      "Write a checkpoint here after every epoch (weights and optimiser state)")
      ->type_name("FILE");
  command->add_flag("--resume", flags->resume, "Continue from --checkpoint");
  add_progress_flag(*command, flags->progress);
  command->callback([flags] { run_train(*flags); });
}

}  // namespace invforecast_cli
