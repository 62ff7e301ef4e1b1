// Gradients of the training encoder (lib/train/trainable_encoder.*): the whole
// model end to end against central finite differences in float64 (the
// reference kernels run in double), for a random sample of entries of every
// parameter tensor, the quantile losses and the negbin head's likelihood; the fast Cpu backward against the reference backward in
// float32; the training forward against EncoderModel's inference forward;
// the same checks for the masked pre-training pass (lib/train/pretrain.*:
// masked forward, reconstruction head, masked squared error) and the masking's
// semantics.
//
// Finite-difference metric, per tensor: max |analytic - numeric| over the
// sampled entries / max(max |numeric| over the tensor's samples, 1e-6).
// Step 1e-6 (float64, loss O(1)): truncation error ~1e-12 relative, rounding
// ~1e-16/1e-6 = 1e-10; pinball kinks are not crossed with random data at that
// step.  Worst measured: 5e-7 (a tensor whose gradients are ~1e-4, where the
// absolute error ~6e-11 is rounding); a wrong backward gives errors ~1e-1 and
// more, so the bound is 1e-5.  INVF_PRINT_GRAD_ERRORS=1 prints every tensor.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "error.hpp"
#include "model/encoder.hpp"
#include "test_kernels_util.hpp"
#include "train/loss.hpp"
#include "train/parameters.hpp"
#include "train/pretrain.hpp"
#include "train/random.hpp"
#include "train/trainable_encoder.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using namespace invforecast::train;
using testing::random_covariates;
using testing::random_parameters;
using testing::test_features;
using testing::TestCovariates;
using testing::tiny_config;
using kernels::BackendKind;
using kernels::testing::max_relative_error;

namespace {

// Overlapping patches without padding, mean-absolute scaling, 5 quantiles.
ModelConfig tiny_mean_abs_config() {
  ModelConfig c = tiny_config();
  c.context_length = 14;
  c.stride = 2;
  c.padding = PaddingMode::None;
  c.normalization = NormKind::MeanAbs;
  c.revin_affine = false;
  c.quantiles = {0.1, 0.25, 0.5, 0.75, 0.9};
  return c;
}

std::vector<double> random_context(int64_t values, uint64_t seed) {
  Random random(seed);
  std::vector<double> x(static_cast<size_t>(values));
  for (double& v : x) v = random.uniform(0.0, 10.0);
  return x;
}

template <class T>
double loss_of(TrainableEncoder<T>& encoder, const ParameterSet<T>& params,
               const std::vector<T>& context, const std::vector<T>& targets, int64_t batch,
               LossKind kind, const std::vector<double>& weights, std::vector<T>* d_predictions,
               const layers::CovariateBatch<T>* covariates = nullptr) {
  encoder.forward(params, context.data(), batch, covariates);
  double total = 0.0;
  for (double w : weights) total += w;
  if (d_predictions) d_predictions->assign(encoder.predictions().size(), T(0));
  // The weighted mean, as weighted_loss gives it; the head picks the loss (negbin: its NLL).
  return encoder.loss_sum(kind, targets.data(), weights.data(), 1.0 / total,
                          d_predictions ? d_predictions->data() : nullptr) /
         total;
}

ModelConfig with_negbin_head(ModelConfig c) {
  c.head = HeadKind::NegBin;
  return c;
}

// Returns the worst per-tensor error (see the file comment).
double finite_difference_check(const ModelConfig& config, LossKind kind, uint64_t seed,
                               const std::vector<FeatureSpec>& features = target_features()) {
  const int64_t batch = 3;
  ParameterSet<double> params = random_parameters(config, seed, features).cast<double>();
  const std::vector<double> context = random_context(batch * config.context_length, seed + 2);
  const std::vector<double> targets = random_context(batch * config.horizon, seed + 3);
  const std::vector<double> weights = {1.0, 0.5, 2.0};
  const bool with_covariates = !covariate_layout(config, features).empty();
  const TestCovariates<double> covariates =
      random_covariates<double>(config, features, batch, seed + 5);
  const layers::CovariateBatch<double> arrays = covariates.batch();
  const layers::CovariateBatch<double>* given = with_covariates ? &arrays : nullptr;

  TrainableEncoder<double> encoder(config, kernels::backend_of(BackendKind::Reference), features);
  std::vector<double> d_pred;
  loss_of(encoder, params, context, targets, batch, kind, weights, &d_pred, given);
  ParameterSet<double> grads(config, features);
  encoder.backward(params, d_pred.data(), grads);

  const double step = 1e-6;
  const bool print = std::getenv("INVF_PRINT_GRAD_ERRORS") != nullptr;
  Random pick(seed + 4);
  double worst = 0.0;
  for (size_t t = 0; t < params.size(); ++t) {
    std::vector<double>& values = params.values(t);
    const size_t samples = std::min<size_t>(values.size(), 6);
    double max_diff = 0.0, max_numeric = 1e-6;
    for (size_t k = 0; k < samples; ++k) {
      const size_t i = values.size() <= 6 ? k : pick.below(values.size());
      const double saved = values[i];
      values[i] = saved + step;
      const double up = loss_of(encoder, params, context, targets, batch, kind, weights,
                                static_cast<std::vector<double>*>(nullptr), given);
      values[i] = saved - step;
      const double down = loss_of(encoder, params, context, targets, batch, kind, weights,
                                  static_cast<std::vector<double>*>(nullptr), given);
      values[i] = saved;
      const double numeric = (up - down) / (2.0 * step);
      max_diff = std::max(max_diff, std::abs(numeric - grads.values(t)[i]));
      max_numeric = std::max(max_numeric, std::abs(numeric));
    }
    const double error = max_diff / max_numeric;
    if (print)
      std::printf("grad %-8s %-26s max|numeric| %.3g  error %.3g\n",
                  std::string(to_string(kind)).c_str(), params.specs()[t].name.c_str(), max_numeric,
                  error);
    worst = std::max(worst, error);
  }
  return worst;
}

}  // namespace

// Finite differences in float64 with step 1e-6: truncation error ~step^2 = 1e-12 and rounding
// ~1e-16 / step = 1e-10, relative to the largest gradient of the tensor; a step across a kink of
// the pinball or MAE loss (or of a ReLU-like clip) adds the most.  1e-5 is far above all of it and
// far below what a wrong term in a backward pass gives (1e-2 and more).
TEST_CASE("training encoder gradients match finite differences in float64", "[train][grad]") {
  SECTION("RevIN with affine, end padding, pinball loss") {
    CHECK(finite_difference_check(tiny_config(), LossKind::Pinball, 11) < 1e-5);
  }
  SECTION("RevIN with affine, MSE on the median") {
    CHECK(finite_difference_check(tiny_config(), LossKind::MedianMse, 12) < 1e-5);
  }
  SECTION("RevIN with affine, MAE on the median") {
    CHECK(finite_difference_check(tiny_config(), LossKind::MedianMae, 13) < 1e-5);
  }
  SECTION("mean-absolute scaling, overlapping patches, pinball loss") {
    CHECK(finite_difference_check(tiny_mean_abs_config(), LossKind::Pinball, 14) < 1e-5);
  }
  // Every covariate tensor too: embeddings (context, horizon and static lookups into shared
  // tables), the patch channels, the statics, the horizon decoder.
  SECTION("covariates of every role, RevIN with affine, pinball loss") {
    CHECK(finite_difference_check(tiny_config(), LossKind::Pinball, 15, test_features()) < 1e-5);
  }
  SECTION("covariates of every role, mean-absolute scaling, MSE on the median") {
    CHECK(finite_difference_check(tiny_mean_abs_config(), LossKind::MedianMse, 16, test_features()) < 1e-5);
  }
  // The negbin head: its NLL of the (fractional: the continuous extension) targets through the
  // link, RevIN's affine pair from the output side included, and the decoder's two raw values.
  SECTION("negbin head, RevIN with affine") {
    CHECK(finite_difference_check(with_negbin_head(tiny_config()), LossKind::Pinball, 17) < 1e-5);
  }
  SECTION("negbin head, covariates of every role, RevIN with affine") {
    CHECK(finite_difference_check(with_negbin_head(tiny_config()), LossKind::Pinball, 18,
                                  test_features()) < 1e-5);
  }
  SECTION("negbin head, covariates of every role, mean-absolute scaling") {
    CHECK(finite_difference_check(with_negbin_head(tiny_mean_abs_config()), LossKind::Pinball, 19,
                                  test_features()) < 1e-5);
  }
}

// float32 backends against each other (the negbin head's link is host code, the same for both):
// the Cpu backward sums in other orders and uses fitted
// exp/erf (forward 1e-5 as test_kernels.cpp); chained through the layers' backward the
// differences grow by about an order of magnitude, hence 1e-4.
TEST_CASE("training encoder Cpu backward matches the reference backward", "[train][grad]") {
  for (const auto& [config, features] :
       {std::pair{tiny_config(), target_features()}, std::pair{tiny_mean_abs_config(), target_features()},
        std::pair{tiny_config(), test_features()}, std::pair{with_negbin_head(tiny_config()), test_features()}}) {
    const int64_t batch = 5;
    const Parameters params = random_parameters(config, 21, features);
    const std::vector<double> context64 = random_context(batch * config.context_length, 22);
    const std::vector<double> targets64 = random_context(batch * config.horizon, 23);
    const std::vector<float> context(context64.begin(), context64.end());
    const std::vector<float> targets(targets64.begin(), targets64.end());
    const std::vector<double> weights(static_cast<size_t>(batch), 1.0);
    const TestCovariates<float> covariates = random_covariates<float>(config, features, batch, 24);
    const layers::CovariateBatch<float> arrays = covariates.batch();
    const bool with_covariates = features.size() > 1;

    auto gradients = [&](BackendKind backend) {
      TrainableEncoder<float> encoder(config, kernels::backend_of(backend), features);
      std::vector<float> d_pred;
      loss_of(encoder, params, context, targets, batch, LossKind::Pinball, weights, &d_pred,
              with_covariates ? &arrays : nullptr);
      Parameters grads(config, features);
      encoder.backward(params, d_pred.data(), grads);
      return grads;
    };
    const Parameters reference = gradients(BackendKind::Reference);
    const Parameters cpu = gradients(BackendKind::Cpu);
    double worst = 0.0;
    for (size_t t = 0; t < reference.size(); ++t) {
      INFO(reference.specs()[t].name);
      const double error = max_relative_error(cpu.values(t), reference.values(t));
      worst = std::max(worst, error);
      CHECK(error < 1e-4);
    }
    if (std::getenv("INVF_PRINT_GRAD_ERRORS"))
      std::printf("Cpu vs Reference backward (%s): worst relative error %.3g\n",
                  std::string(to_string(config.normalization)).c_str(), worst);
  }
}

TEST_CASE("training forward matches EncoderModel's inference forward", "[train]") {
  for (const auto& [config, features] :
       {std::pair{tiny_config(), target_features()}, std::pair{tiny_mean_abs_config(), target_features()},
        std::pair{tiny_config(), test_features()}, std::pair{tiny_mean_abs_config(), test_features()}}) {
    // 19 series: more than two tiles of 8, so the covariates' per-tile offsets are exercised.
    const int64_t batch = features.size() > 1 ? 19 : 4;
    const Parameters params = random_parameters(config, 31, features);
    const std::vector<double> context64 = random_context(batch * config.context_length, 32);
    const std::vector<float> context(context64.begin(), context64.end());
    const TestCovariates<float> covariates = random_covariates<float>(config, features, batch, 33);
    const layers::CovariateBatch<float> arrays = covariates.batch();
    const layers::CovariateBatch<float>* given = features.size() > 1 ? &arrays : nullptr;
    const ModelFile file =
        ModelFile::from_buffer(to_model_buffer(params, default_metadata(params)), BufferMode::Copy);
    for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
      INFO(kernels::backend_name(backend));
      const EncoderModel model(file, kernels::backend_of(backend));
      const int64_t outputs = model.outputs_per_series();
      std::vector<float> want(static_cast<size_t>(batch * outputs));
      EncoderWorkspace ws = model.make_workspace();
      model.forecast(context.data(), batch, want.data(), ws, given);

      TrainableEncoder<float> encoder(config, kernels::backend_of(backend), features);
      encoder.forward(params, context.data(), batch, given);
      std::vector<float> got(want.size());
      encoder.forecast_sales(params, got.data());
      const double error = max_relative_error(got, want);
      if (std::getenv("INVF_PRINT_GRAD_ERRORS"))
        std::printf("training vs inference forward (%s, %s): relative error %.3g\n",
                    std::string(to_string(config.normalization)).c_str(),
                    kernels::backend_name(backend), error);
      CHECK(error < 1e-5);
    }
  }
}

TEST_CASE("training encoder refuses mismatched parameters and bad input", "[train]") {
  const ModelConfig config = tiny_config();
  TrainableEncoder<float> encoder(config, kernels::backend_of(BackendKind::Reference));
  ModelConfig other = config;
  other.d_model = 16;
  const Parameters wrong = initialize_parameters(other, 1);
  std::vector<float> context(static_cast<size_t>(config.context_length), 1.0f);
  try {
    encoder.forward(wrong, context.data(), 1);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK(std::string(e.what()).find("another model configuration") != std::string::npos);
  }
  const Parameters params = initialize_parameters(config, 1);
  context[7] = NAN;
  try {
    encoder.forward(params, context.data(), 1);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK(std::string(e.what()).find("position 7") != std::string::npos);
  }
  CHECK_THROWS_AS(TrainableEncoder<double>(config, kernels::backend_of(BackendKind::Cpu)), Error);
}

// ---------------------------------------------------------------------------
// Masked patch reconstruction (pre-training).

namespace {

// Masks [batch, tokens] with 1 to tokens - 1 masked tokens per series, drawn from seed.
std::vector<uint8_t> random_masks(int64_t batch, int64_t tokens, uint64_t seed) {
  Random random(seed);
  std::vector<uint8_t> masks(static_cast<size_t>(batch * tokens));
  for (int64_t s = 0; s < batch; ++s)
    draw_token_mask(random, tokens, 1 + static_cast<int64_t>(random.below(tokens - 1)),
                    masks.data() + s * tokens);
  return masks;
}

ReconstructionHead<double> random_head(const ModelConfig& config, uint64_t seed) {
  const ReconstructionHead<float> head = initialize_reconstruction_head(config, seed);
  ReconstructionHead<double> out{{head.weight.begin(), head.weight.end()}, {}};
  Random random(seed + 1);
  for (float b : head.bias) out.bias.push_back(b + random.uniform(-0.3, 0.3));
  return out;
}

// Central differences over sampled entries of every model tensor and of the
// reconstruction head; returns the worst per-tensor error (file comment).
// The forecast head's gradient must be exactly zero (it is not in the graph).
double masked_finite_difference_check(const ModelConfig& config, uint64_t seed) {
  const int64_t batch = 3, tokens = config.num_tokens();
  ParameterSet<double> params = random_parameters(config, seed).cast<double>();
  ReconstructionHead<double> head = random_head(config, seed + 5);
  const std::vector<double> context = random_context(batch * config.context_length, seed + 2);
  const std::vector<uint8_t> masks = random_masks(batch, tokens, seed + 3);
  const std::vector<double> weights = {1.0, 0.5, 2.0};
  const double grad_scale = 1.0 / 3.5;

  MaskedReconstruction<double> pass(config, kernels::backend_of(BackendKind::Reference));
  ParameterSet<double> grads(config);
  ReconstructionHead<double> head_grads;
  pass.run(params, head, context.data(), masks.data(), batch, weights.data(), grad_scale, &grads,
           &head_grads);
  auto loss = [&] {
    return grad_scale * pass.run(params, head, context.data(), masks.data(), batch,
                                 weights.data(), grad_scale, nullptr, nullptr);
  };

  const double step = 1e-6;
  const bool print = std::getenv("INVF_PRINT_GRAD_ERRORS") != nullptr;
  Random pick(seed + 4);
  double worst = 0.0;
  auto check = [&](const std::string& name, std::vector<double>& values,
                   const std::vector<double>& analytic) {
    const size_t samples = std::min<size_t>(values.size(), 6);
    double max_diff = 0.0, max_numeric = 1e-6;
    for (size_t k = 0; k < samples; ++k) {
      const size_t i = values.size() <= 6 ? k : pick.below(values.size());
      const double saved = values[i];
      values[i] = saved + step;
      const double up = loss();
      values[i] = saved - step;
      const double down = loss();
      values[i] = saved;
      const double numeric = (up - down) / (2.0 * step);
      max_diff = std::max(max_diff, std::abs(numeric - analytic[i]));
      max_numeric = std::max(max_numeric, std::abs(numeric));
    }
    const double error = max_diff / max_numeric;
    if (print)
      std::printf("grad masked %-26s max|numeric| %.3g  error %.3g\n", name.c_str(), max_numeric,
                  error);
    worst = std::max(worst, error);
  };
  for (size_t t = 0; t < params.size(); ++t) {
    const std::string& name = params.specs()[t].name;
    if (name.starts_with("head.")) {
      for (double g : grads.values(t)) REQUIRE(g == 0.0);
      continue;
    }
    check(name, params.values(t), grads.values(t));
  }
  check("reconstruction.weight", head.weight, head_grads.weight);
  check("reconstruction.bias", head.bias, head_grads.bias);
  return worst;
}

}  // namespace

TEST_CASE("masked reconstruction gradients match finite differences in float64",
          "[train][grad][pretrain]") {
  SECTION("RevIN with affine, end padding") {
    CHECK(masked_finite_difference_check(tiny_config(), 41) < 1e-5);
  }
  SECTION("mean-absolute scaling, overlapping patches") {
    CHECK(masked_finite_difference_check(tiny_mean_abs_config(), 42) < 1e-5);
  }
}

TEST_CASE("masked reconstruction Cpu backward matches the reference backward",
          "[train][grad][pretrain]") {
  for (const ModelConfig& config : {tiny_config(), tiny_mean_abs_config()}) {
    const int64_t batch = 5;
    const Parameters params = random_parameters(config, 51);
    const ReconstructionHead<float> head = initialize_reconstruction_head(config, 52);
    const std::vector<double> context64 = random_context(batch * config.context_length, 53);
    const std::vector<float> context(context64.begin(), context64.end());
    const std::vector<uint8_t> masks = random_masks(batch, config.num_tokens(), 54);

    struct Result {
      double loss;
      Parameters grads;
      ReconstructionHead<float> head_grads;
    };
    auto gradients = [&](BackendKind backend) {
      MaskedReconstruction<float> pass(config, kernels::backend_of(backend));
      Result r{0.0, Parameters(config), {}};
      r.loss = pass.run(params, head, context.data(), masks.data(), batch, nullptr, 1.0 / batch,
                        &r.grads, &r.head_grads);
      return r;
    };
    const Result reference = gradients(BackendKind::Reference);
    const Result cpu = gradients(BackendKind::Cpu);
    CHECK(cpu.loss == Approx(reference.loss).epsilon(1e-5));
    double worst = 0.0;
    for (size_t t = 0; t < reference.grads.size(); ++t) {
      INFO(reference.grads.specs()[t].name);
      if (reference.grads.specs()[t].name.starts_with("head.")) {
        // Not in the graph: exact zeros on both backends.
        CHECK(cpu.grads.values(t) == std::vector<float>(cpu.grads.values(t).size(), 0.0f));
        CHECK(reference.grads.values(t) == cpu.grads.values(t));
        continue;
      }
      const double error = max_relative_error(cpu.grads.values(t), reference.grads.values(t));
      worst = std::max(worst, error);
      CHECK(error < 1e-4);
    }
    for (const auto& [got, want] : {std::pair{&cpu.head_grads.weight, &reference.head_grads.weight},
                                    std::pair{&cpu.head_grads.bias, &reference.head_grads.bias}}) {
      const double error = max_relative_error(*got, *want);
      worst = std::max(worst, error);
      CHECK(error < 1e-4);
    }
    if (std::getenv("INVF_PRINT_GRAD_ERRORS"))
      std::printf("masked Cpu vs Reference backward (%s): worst relative error %.3g\n",
                  std::string(to_string(config.normalization)).c_str(), worst);
  }
}

TEST_CASE("masked patches reveal nothing of their values to the encoder", "[train][pretrain]") {
  // tiny_mean_abs_config: 14 days, patches of 4 with stride 2 -> 6 tokens; token t covers days
  // [2t, 2t + 4).  Token 2 masked hides days 4..7, which tokens 1 and 3 also cover.
  const ModelConfig config = tiny_mean_abs_config();
  const int64_t tokens = config.num_tokens(), L = config.context_length;
  REQUIRE(tokens == 6);
  const ParameterSet<double> params = random_parameters(config, 61).cast<double>();
  std::vector<double> context = random_context(L, 62);
  std::vector<uint8_t> mask(static_cast<size_t>(tokens), 0);
  mask[2] = 1;
  TrainableEncoder<double> encoder(config, kernels::backend_of(BackendKind::Reference));
  auto outputs = [&](const uint8_t* m) {
    encoder.forward_tokens(params, context.data(), 1, m);
    const std::span<const double> tokens = encoder.token_outputs();
    return std::vector<double>(tokens.begin(), tokens.end());
  };
  const std::vector<double> masked = outputs(mask.data());
  const std::vector<double> plain = outputs(nullptr);
  // Swapping two hidden days keeps the scale (mean |x|): with the mask nothing changes (up to
  // the scale's summation order), without it the outputs do.
  std::swap(context[4], context[7]);
  REQUIRE(context[4] != context[7]);
  CHECK(max_relative_error(outputs(mask.data()), masked) < 1e-12);
  CHECK(max_relative_error(outputs(nullptr), plain) > 1e-3);
  // Every token masked: the encoder sees only zeros, whatever the context.
  const std::vector<uint8_t> all(static_cast<size_t>(tokens), 1);
  const std::vector<double> blank = outputs(all.data());
  context = random_context(L, 63);
  CHECK(outputs(all.data()) == blank);
  // The reconstruction targets are the unmasked patches on the loss scale (x / mean |x|).
  std::vector<double> patches(static_cast<size_t>(tokens * config.patch_length));
  encoder.normalized_patches(patches.data());
  double mean_abs = 0.0;
  for (double v : context) mean_abs += std::abs(v);
  mean_abs /= static_cast<double>(L);
  CHECK(patches[2 * 4 + 1] == Approx(context[5] / mean_abs).epsilon(1e-12));
  CHECK(patches[5 * 4 + 3] == Approx(context[13] / mean_abs).epsilon(1e-12));
  // forward_tokens() runs no forecast head, so the forecast backward has nothing to start from.
  ParameterSet<double> grads(config);
  const std::vector<double> d_predictions(static_cast<size_t>(encoder.outputs_per_series()), 1.0);
  CHECK_THROWS_WITH(encoder.backward(params, d_predictions.data(), grads),
                    Catch::Matchers::Contains("the last pass was forward_tokens()"));
}
