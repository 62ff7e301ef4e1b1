#include "core/training_options.hpp"

#include <cmath>

#include "core/number_text.hpp"
#include "error.hpp"
#include "core/option_parsing.hpp"

namespace invforecast {
namespace {

double parse_real(std::string_view key, std::string_view value, double min, double max) {
  const std::optional<double> out = parse_finite(value);
  if (!out || *out < min || *out > max)
    fail(ErrorCode::InvalidArgument, "option '{}': '{}' is not a number in [{}, {}]", key, value,
         min, max);
  return *out;
}

}  // namespace

bool set_training_option(TrainingSettings& s, std::string_view key, std::string_view value) {
  // Architecture bounds are generous; validate_config() checks consistency.
  constexpr int64_t kBig = 1 << 20;
  struct IntKey {
    std::string_view name;
    std::optional<int64_t>* field;
    int64_t min, max;
  };
  const IntKey ints[] = {
      {"context_length", &s.context_length, 1, 1 << 16},
      {"patch_length", &s.patch_length, 1, 1 << 16},
      {"stride", &s.stride, 1, 1 << 16},
      {"d_model", &s.d_model, 1, 1 << 16},
      {"heads", &s.heads, 1, 1024},
      {"ffn_dim", &s.ffn_dim, 1, 1 << 18},
      {"layers", &s.layers, 1, 1024},
      {"horizon", &s.horizon, 1, 1 << 14},
      {"epochs", &s.epochs, 1, kBig},
      {"steps_per_epoch", &s.steps_per_epoch, 1, kBig},
      {"batch_size", &s.batch_size, 1, 1 << 16},
      {"warmup_steps", &s.warmup_steps, -1, kBig * kBig},
      {"min_history", &s.min_history, 1, kBig},
      {"holdout_days", &s.holdout_days, -1, kBig},
      {"patience", &s.patience, 0, kBig},
      {"lora_rank", &s.lora_rank, 1, 1024},
      {"embedding_dim", &s.embedding_dim, 1, 1024},
      {"decoder_dim", &s.decoder_dim, 1, 1 << 14},
  };
  for (const IntKey& k : ints)
    if (key == k.name) {
      *k.field = option_parsing::integer(key, value, k.min, k.max);
      return true;
    }
  struct RealKey {
    std::string_view name;
    std::optional<double>* field;
    double min, max;
  };
  const RealKey reals[] = {
      {"learning_rate", &s.learning_rate, 1e-12, 10.0},
      {"min_learning_rate", &s.min_learning_rate, 0.0, 10.0},
      {"weight_decay", &s.weight_decay, 0.0, 10.0},
      {"clip_norm", &s.clip_norm, 0.0, 1e12},
      {"mask_ratio", &s.mask_ratio, 0.01, 0.99},
      {"lora_alpha", &s.lora_alpha, 1e-6, 1e6},
      {"norm_eps", &s.norm_eps, 1e-12, 1e6},
  };
  for (const RealKey& k : reals)
    if (key == k.name) {
      *k.field = parse_real(key, value, k.min, k.max);
      return true;
    }
  if (key == "normalization") {
    s.normalization = option_parsing::word(key, value, {"revin", "meanabs"});
  } else if (key == "head") {
    s.head = option_parsing::word(key, value, {"quantile", "negbin"});
  } else if (key == "loss") {
    s.loss = option_parsing::word(key, value, {"pinball", "mae", "mse"});
  } else if (key == "sampling") {
    s.sampling = option_parsing::word(key, value, {"uniform", "volume", "revenue"});
  } else if (key == "loss_weighting") {
    s.loss_weighting = option_parsing::word(key, value, {"uniform", "volume", "revenue"});
  } else if (key == "objective") {
    s.objective = option_parsing::word(key, value, {"forecast", "masked_patch"});
  } else if (key == "finetune") {
    s.finetune = option_parsing::word(key, value, {"full", "head", "lora"});
  } else if (key == "covariates") {
    s.covariates_none = value == "none";
    s.covariates_calendar = value == "calendar";
    s.covariates = value == "none" || value == "all" || value == "calendar"
                       ? std::vector<std::string>{}
                       : option_parsing::names(key, value);
  } else if (key == "past_only") {
    s.past_only = option_parsing::names(key, value);
  } else if (key == "checkpoint") {
    if (value.empty()) fail(ErrorCode::InvalidArgument, "option 'checkpoint': empty path");
    s.checkpoint = std::string(value);
  } else if (key == "resume") {
    s.resume = option_parsing::word(key, value, {"false", "true"}) == "true";
  } else if (key == "seed") {
    s.seed = option_parsing::seed(key, value);
  } else if (key == "quantiles") {
    s.quantiles = option_parsing::levels(key, value);
  } else if (key == "threads") {
    s.threads = static_cast<int>(option_parsing::integer(key, value, 0, 4096));
  } else if (key == "backend") {
    // The one mapping from a name to a backend: unknown or unavailable ones are Unsupported.
    s.backend = kernels::backend_named(value).kind();
  } else {
    return false;
  }
  return true;
}

}  // namespace invforecast
