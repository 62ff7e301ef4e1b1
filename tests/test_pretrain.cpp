// Self-supervised pre-training (lib/train/pretrain.*): masks, option checks,
// determinism, that the reconstruction loss falls on seasonal data, and the
// transfer it is for: fine-tuning a pre-trained body on a small "new shop"
// against training from scratch with the same budget.  The gradient checks
// of the masked pass are in test_train_grad.cpp.
// INVF_PRINT_PRETRAIN=1 prints the measured losses.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "error.hpp"
#include "train/parameters.hpp"
#include "train/pretrain.hpp"
#include "train/random.hpp"
#include "train/trainer.hpp"
#include "train/window_sampler.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using namespace invforecast::train;
using Catch::Matchers::Contains;

namespace {

// The training tests' small model with a second layer.
ModelConfig small_config() {
  ModelConfig c = testing::small_config();
  c.layers = 2;
  return c;
}

// Weekly series whose amplitude varies from 0.3 to 0.8 between series.
Dataset weekly_dataset(int series, int days, uint64_t seed) {
  return testing::weekly_dataset(series, days, seed, 0.3, 0.8);
}

PretrainOptions small_pretrain_options() {
  PretrainOptions o;
  o.train.epochs = 2;
  o.train.steps_per_epoch = 6;
  o.train.batch_size = 16;
  o.train.threads = 2;
  o.train.seed = 9;
  return o;
}

// The reconstruction runs: 8 epochs of 25 steps of 32 windows, no early stop.
PretrainOptions reconstruction_options() {
  PretrainOptions o;
  o.train = {.epochs = 8, .steps_per_epoch = 25, .batch_size = 32, .learning_rate = 3e-3,
             .threads = 2, .patience = 0};
  return o;
}

bool print_losses() { return std::getenv("INVF_PRINT_PRETRAIN") != nullptr; }

}  // namespace

TEST_CASE("mask sizes follow the ratio and keep a token on each side", "[train][pretrain]") {
  CHECK(masked_token_count(8, 0.4) == 3);    // round(3.2)
  CHECK(masked_token_count(42, 0.4) == 17);  // round(16.8)
  CHECK(masked_token_count(10, 0.25) == 3);  // round(2.5) away from zero
  CHECK(masked_token_count(1, 0.4) == 1);    // at least one
  CHECK(masked_token_count(4, 0.05) == 1);
  CHECK(masked_token_count(2, 0.9) == 1);  // one stays visible
  CHECK(masked_token_count(5, 0.99) == 4);
}

TEST_CASE("token masks are uniform without replacement and seeded", "[train][pretrain]") {
  const int64_t tokens = 8, masked = 3;
  std::vector<int> hits(tokens, 0);
  Random random(17);
  std::vector<uint8_t> mask(tokens);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    draw_token_mask(random, tokens, masked, mask.data());
    int count = 0;
    for (int64_t t = 0; t < tokens; ++t) {
      REQUIRE((mask[t] == 0 || mask[t] == 1));
      count += mask[t];
      hits[t] += mask[t];
    }
    REQUIRE(count == masked);
  }
  // Each token is masked with probability 3/8 (standard error 0.0034; the margin is 4.4 of them).
  for (int64_t t = 0; t < tokens; ++t)
    CHECK(static_cast<double>(hits[t]) / draws == Approx(0.375).margin(0.015));
  Random a(5), b(5), c(6);
  std::vector<uint8_t> ma(tokens), mb(tokens), mc(tokens);
  bool all_same = true;
  for (int i = 0; i < 20; ++i) {
    draw_token_mask(a, tokens, masked, ma.data());
    draw_token_mask(b, tokens, masked, mb.data());
    draw_token_mask(c, tokens, masked, mc.data());
    CHECK(ma == mb);
    all_same = all_same && ma == mc;
  }
  CHECK_FALSE(all_same);
  CHECK_THROWS_WITH(draw_token_mask(a, tokens, 9, ma.data()), Contains("cannot mask 9 of 8"));
}

TEST_CASE("pre-training refuses bad options and masks", "[train][pretrain]") {
  const Dataset data = weekly_dataset(4, 80, 1);
  Parameters params = initialize_parameters(small_config(), 1);
  PretrainOptions options = small_pretrain_options();
  for (double ratio : {0.0, 1.0, -0.1, std::nan("")}) {
    options.mask_ratio = ratio;
    try {
      pretrain_model(params, data, options);
      FAIL("no error for mask_ratio " << ratio);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK_THAT(e.what(), Contains("mask_ratio must be in (0, 1)"));
    }
  }
  options = small_pretrain_options();
  options.train.trainable_prefixes = {"layers."};
  CHECK_THROWS_WITH(pretrain_model(params, data, options), Contains("trainable_prefixes"));
  options = small_pretrain_options();
  options.train.batch_size = 0;
  CHECK_THROWS_WITH(pretrain_model(params, data, options), Contains("batch_size 0"));
  options = small_pretrain_options();
  options.train.loss_weights = {1.0, 2.0};
  CHECK_THROWS_WITH(pretrain_model(params, data, options), Contains("2 loss weights for 4 series"));
  // Too short for one whole context plus horizon and hold-out.
  const Dataset short_data = weekly_dataset(3, 40, 2);
  options = small_pretrain_options();
  try {
    pretrain_model(params, short_data, options);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::SeriesTooShort);
  }

  // A series of the batch without a masked token has nothing to reconstruct.
  const ModelConfig config = small_config();
  MaskedReconstruction<float> pass(config, kernels::backend_of(kernels::BackendKind::Reference));
  const ReconstructionHead<float> head = initialize_reconstruction_head(config, 3);
  std::vector<float> context(static_cast<size_t>(2 * config.context_length), 1.0f);
  std::vector<uint8_t> masks = {0, 1, 0, 0, 0, 0, 0, 0};
  CHECK_THROWS_WITH(
      pass.run(params, head, context.data(), masks.data(), 2, nullptr, 1.0, nullptr, nullptr),
      Contains("series 1 of the batch has no masked token"));
  ReconstructionHead<float> wrong = head;
  wrong.bias.pop_back();
  masks = {0, 1, 0, 0, 1, 0, 0, 0};
  CHECK_THROWS_WITH(
      pass.run(params, wrong, context.data(), masks.data(), 2, nullptr, 1.0, nullptr, nullptr),
      Contains("reconstruction head holds 112 + 6 values, the model needs 112 + 7"));
}

TEST_CASE("pre-training is deterministic and leaves the forecast head alone", "[train][pretrain]") {
  const Dataset data = weekly_dataset(10, 100, 21);
  PretrainOptions options = small_pretrain_options();
  const Parameters initial = initialize_parameters(small_config(), 3);
  auto run = [&]() {
    Parameters p = initial;
    pretrain_model(p, data, options);
    return p;
  };
  const Parameters first = run();
  const Parameters second = run();
  CHECK(to_model_buffer(first, default_metadata(first)) ==
        to_model_buffer(second, default_metadata(second)));
  for (size_t t = 0; t < first.size(); ++t) {
    const std::string& name = first.specs()[t].name;
    INFO(name);
    if (name.starts_with("head."))
      CHECK(first.values(t) == initial.values(t));
    else
      CHECK(first.values(t) != initial.values(t));
  }
  options.train.seed = 10;
  const Parameters other = run();
  CHECK(other.values("layers.0.ffn1.weight") != first.values("layers.0.ffn1.weight"));

  // More threads than windows: empty shares add exact zeros, so 3 and 4 threads agree.
  options.train.batch_size = 3;
  options.train.threads = 3;
  const Parameters three = run();
  options.train.threads = 4;
  const Parameters four = run();
  CHECK(to_model_buffer(three, default_metadata(three)) ==
        to_model_buffer(four, default_metadata(four)));
}

TEST_CASE("pre-training reports progress and can be cancelled", "[train][pretrain]") {
  const Dataset data = weekly_dataset(6, 80, 2);
  Parameters params = initialize_parameters(small_config(), 2);
  PretrainOptions options = small_pretrain_options();
  options.train.threads = 1;
  std::vector<TrainProgress> seen;
  testing::cancel_after_epoch_2(options.train, seen);
  testing::check_cancelled_after_epoch_2(pretrain_model(params, data, options), seen);
  // The kept body is the better epoch's: bit for bit that of the same run stopped after epoch 1
  // exactly when epoch 1 reported the lower loss (a tie keeps the first).
  Parameters stopped = initialize_parameters(small_config(), 2);
  options.train.progress = [](const TrainProgress& p) { return !(p.epoch_end && p.epoch == 1); };
  pretrain_model(stopped, data, options);
  bool same = true;
  for (size_t t = 0; t < params.size(); ++t) same = same && stopped.values(t) == params.values(t);
  CHECK(same == (seen[2].val_loss <= seen[5].val_loss));
}

TEST_CASE("pre-training learns to reconstruct masked weeks of seasonal series",
          "[train][pretrain]") {
  const Dataset data = weekly_dataset(32, 200, 5);
  const ModelConfig config = small_config();
  Parameters params = initialize_parameters(config, 1);
  PretrainOptions options = reconstruction_options();

  // Two references on the hold-out contexts (pretrain.hpp's validation windows), with masks
  // drawn here: the untrained body with a fresh reconstruction head, and predicting every
  // masked value as 0, the context mean on RevIN's scale (about the contexts' variance, 1).
  const WindowOptions wo{config.context_length, config.horizon, options.train.min_history,
                         config.horizon};
  const std::vector<Window> holdout = holdout_windows(data, wo);
  REQUIRE(holdout.size() == data.series.size());
  const auto n = static_cast<int64_t>(holdout.size());
  const int64_t L = config.context_length, N = config.num_tokens(), P = config.patch_length;
  std::vector<float> context(static_cast<size_t>(n * L));
  std::vector<uint8_t> masks(static_cast<size_t>(n * N));
  Random random(3);
  for (int64_t i = 0; i < n; ++i) {
    fill_window(SeriesInputs(data), wo, holdout[static_cast<size_t>(i)], context.data() + i * L, nullptr);
    draw_token_mask(random, N, masked_token_count(N, options.mask_ratio), masks.data() + i * N);
  }
  MaskedReconstruction<float> pass(config, kernels::backend_of(kernels::BackendKind::Reference));
  const double initial_loss =
      pass.run(params, initialize_reconstruction_head(config, 4), context.data(), masks.data(), n,
               nullptr, 1.0, nullptr, nullptr) /
      static_cast<double>(n);
  std::vector<float> patches(static_cast<size_t>(n * N * P));
  pass.encoder().normalized_patches(patches.data());
  double zero_loss = 0.0, masked_values = 0.0;
  for (int64_t i = 0; i < n * N; ++i)
    if (masks[static_cast<size_t>(i)])
      for (int64_t p = 0; p < P; ++p) {
        zero_loss += std::pow(patches[static_cast<size_t>(i * P + p)], 2);
        masked_values += 1.0;
      }
  zero_loss /= masked_values;

  const Parameters initial = params;
  std::vector<double> epoch_losses;  // as the progress callback saw them
  options.train.progress = [&epoch_losses](const TrainProgress& p) {
    if (p.epoch_end) epoch_losses.push_back(p.val_loss);
    return true;
  };
  const TrainResult result = pretrain_model(params, data, options);
  REQUIRE(result.val_losses.size() == 8);
  REQUIRE(epoch_losses.size() == 8);
  if (print_losses()) {
    std::printf("reconstruction loss on the hold-out: untrained %.4f, predicting 0 %.4f\n",
                initial_loss, zero_loss);
    std::printf("pretrain reconstruction val loss by epoch:");
    for (double v : result.val_losses) std::printf(" %.4f", v);
    std::printf("\n");
  }
  // The noise alone (+-10% of the level, uniform, over the contexts' spread) costs about 0.02.
  CHECK(zero_loss == Approx(1.0).margin(0.3));
  const auto best = std::min_element(epoch_losses.begin(), epoch_losses.end());
  CHECK(*best < 0.1 * zero_loss);
  CHECK(*best < 0.1 * initial_loss);
  // The kept body is the best epoch's: bit for bit that of the same run stopped after it.
  const int64_t best_epoch = best - epoch_losses.begin() + 1;
  Parameters stopped = initial;
  options.train.progress = [best_epoch](const TrainProgress& p) {
    return !(p.epoch_end && p.epoch == best_epoch);
  };
  pretrain_model(stopped, data, options);
  for (size_t t = 0; t < params.size(); ++t) CHECK(stopped.values(t) == params.values(t));
}

// Measured (INVF_PRINT_PRETRAIN=1): over the 8 shops, mean validation pinball 0.0720 fine-tuned
// from the pre-trained body against 0.0732 from scratch, better on 6 of 8 shops; a gain of
// under 2%, too small on such simple series to assert.  What holds robustly, and is asserted:
// the pre-trained body fine-tunes as well as a fresh one (within 10%), and both learn.
TEST_CASE("a pre-trained body fine-tunes on small new shops as well as a fresh one",
          "[train][pretrain]") {
  const ModelConfig config = small_config();
  // "Other stores": long histories of weekly-seasonal series, pre-trained on without targets.
  const Dataset stores = weekly_dataset(48, 250, 31);
  const Parameters initial = initialize_parameters(config, 7);
  Parameters pretrained = initial;
  const PretrainOptions pre = reconstruction_options();
  const TrainResult pre_result = pretrain_model(pretrained, stores, pre);

  // New shops of 12 series with 11 weeks of history: a small fine-tuning budget from the
  // pre-trained body, and the same budget from the same initial weights (the forecast head is
  // the same in both: pre-training leaves it as initialised).
  TrainOptions fine{.epochs = 4, .steps_per_epoch = 8, .batch_size = 16, .learning_rate = 3e-3,
                    .threads = 2, .patience = 0};
  const WindowOptions wo{config.context_length, config.horizon, fine.min_history, config.horizon};
  double pretrained_total = 0.0, scratch_total = 0.0, initial_total = 0.0;
  int pretrained_wins = 0, shops = 0;
  for (uint64_t shop_seed = 101; shop_seed <= 108; ++shop_seed, ++shops) {
    const Dataset shop = weekly_dataset(12, 77, shop_seed);
    initial_total += evaluate_loss(initial, shop, holdout_windows(shop, wo), fine);
    Parameters from_pretrained = pretrained;
    Parameters from_scratch = initial;
    const double with_pretraining = train_model(from_pretrained, shop, fine).best_val_loss;
    const double without = train_model(from_scratch, shop, fine).best_val_loss;
    if (print_losses())
      std::printf("new shop %llu: forecasting val pinball fine-tuned %.4f, from scratch %.4f\n",
                  static_cast<unsigned long long>(shop_seed), with_pretraining, without);
    pretrained_total += with_pretraining;
    scratch_total += without;
    pretrained_wins += with_pretraining < without;
  }
  if (print_losses())
    std::printf(
        "pretrain best reconstruction val %.4f; mean forecasting val pinball: untrained %.4f, "
        "fine-tuned %.4f, from scratch %.4f; fine-tuned better on %d of %d shops\n",
        pre_result.best_val_loss, initial_total / shops, pretrained_total / shops,
        scratch_total / shops, pretrained_wins, shops);
  CHECK(pretrained_total < 1.1 * scratch_total);
  CHECK(pretrained_total < 0.5 * initial_total);
  CHECK(scratch_total < 0.5 * initial_total);
}

TEST_CASE("a diverging pre-training fails with Diverged, naming the step", "[train][pretrain]") {
  PretrainOptions options = small_pretrain_options();
  options.train.warmup_steps = 0;
  // As in test_train.cpp: AdamW's first step of about 1e30 per weight overflows the next forward.
  options.train.learning_rate = options.train.min_learning_rate = 1e30;
  Parameters params = initialize_parameters(small_config(), 2);
  const Error e =
      testing::thrown_error([&] { pretrain_model(params, weekly_dataset(6, 80, 2), options); });
  CHECK(e.code() == ErrorCode::Diverged);
  CHECK_THAT(e.what(), Contains("pretrain: the loss is") && Contains("at step 2 (diverged"));
}
