// Training core (lib/train/): losses, AdamW, clipping and the learning-rate
// schedule on hand-computed cases; the window sampler; parameters <-> model
// files; the trainer's determinism, cancellation, best checkpoint, and that it
// learns a weekly-periodic synthetic dataset better than seasonal naive.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "error.hpp"
#include "model/encoder.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"
#include "train/parameters.hpp"
#include "train/random.hpp"
#include "train/trainable_encoder.hpp"
#include "train/trainer.hpp"
#include "train/window_sampler.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using namespace invforecast::train;
using namespace invforecast::train::testing;
using Catch::Matchers::Contains;

namespace {

double pinball(double y, double q, double tau) {
  const double u = y - q;
  return u * (u < 0.0 ? tau - 1.0 : tau);
}

}  // namespace

// ---------------------------------------------------------------------------
TEST_CASE("pinball loss and its gradient on a hand-computed case", "[train][loss]") {
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  // Series 0: quantiles (1, 2, 3), target 2.5: rho = 0.15, 0.25, 0.05 -> 0.45 / 3 = 0.15.
  // Series 1: quantiles 0, target 0: loss 0; weights 1 and 3 -> (0.15 + 0) / 4 = 0.0375.
  const std::vector<double> pred = {1, 2, 3, 0, 0, 0};
  const std::vector<double> target = {2.5, 0};
  const std::vector<double> weights = {1, 3};
  std::vector<double> grad(6);
  const LossShape shape{2, 1, levels, 1};
  // Double arithmetic on a handful of terms: 1e-12 relative is far above its rounding (~1e-16).
  CHECK(weighted_loss(LossKind::Pinball, shape, pred.data(), target.data(), weights.data(),
                      grad.data()) == Approx(0.0375).epsilon(1e-12));
  // d/dp = -slope / (H Q) * w / W; series 1 sits on the kink: the u >= 0 branch (slope tau).
  const std::vector<double> want = {-0.1 / 12, -0.5 / 12, 0.1 / 12, -0.1 / 4, -0.5 / 4, -0.9 / 4};
  for (size_t i = 0; i < want.size(); ++i) CHECK(grad[i] == Approx(want[i]).epsilon(1e-12));
}

TEST_CASE("median MAE and MSE losses on a hand-computed case", "[train][loss]") {
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  // Two horizon steps, median quantiles 2 and 5, targets 2.5 and 4.
  const std::vector<float> pred = {1, 2, 3, 4, 5, 6};
  const std::vector<float> target = {2.5f, 4.0f};
  const LossShape shape{1, 2, levels, 1};
  std::vector<float> grad(6);
  CHECK(weighted_loss(LossKind::MedianMae, shape, pred.data(), target.data(), nullptr,
                      grad.data()) == Approx(0.75));
  CHECK(grad == std::vector<float>{0, -0.5f, 0, 0, 0.5f, 0});
  CHECK(weighted_loss(LossKind::MedianMse, shape, pred.data(), target.data(), nullptr,
                      grad.data()) == Approx((0.25 + 1.0) / 2));
  CHECK(grad == std::vector<float>{0, -0.5f, 0, 0, 1.0f, 0});
}

TEST_CASE("losses refuse bad weights and names", "[train][loss]") {
  const std::vector<double> levels = {0.5};
  const std::vector<double> pred = {1}, target = {2}, weights = {-1};
  const LossShape shape{1, 1, levels, 0};
  try {
    loss_sum(LossKind::Pinball, shape, pred.data(), target.data(), weights.data(), 1.0,
             static_cast<double*>(nullptr));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK_THAT(e.what(), Contains("weight of series 0"));
  }
  const std::vector<double> zero = {0};
  CHECK_THROWS_WITH(weighted_loss(LossKind::Pinball, shape, pred.data(), target.data(), zero.data(),
                                  static_cast<double*>(nullptr)),
                    Contains("sum to 0"));
  CHECK(loss_kind_from_string("mse") == LossKind::MedianMse);
  CHECK_THROWS_WITH(loss_kind_from_string("huber"), Contains("unknown loss 'huber'"));
}

// ---------------------------------------------------------------------------
TEST_CASE("AdamW takes the hand-computed steps, decaying only weight matrices", "[train][optim]") {
  // p0 = 1, g = 0.5 then -0.25, lr 0.1, wd 0.01, betas (0.9, 0.999), eps 1e-8:
  //  step 1: m = 0.05, v = 2.5e-4, m^ = 0.5, v^ = 0.25 -> p = 1 - 0.001 - 0.1 * 0.5 / (0.5 + 1e-8)
  //  step 2: m = 0.02, v = 3.1225e-4, m^ = 0.02 / 0.19, v^ = 3.1225e-4 / 0.001999
  // decayed (head.weight): 0.899000002, 0.8714672987; not decayed (head.bias): 0.900000002,
  // 0.8733662987.
  Parameters p(small_config());
  for (size_t t = 0; t < p.size(); ++t) std::fill(p.values(t).begin(), p.values(t).end(), 1.0f);
  Parameters g(small_config());
  AdamW adam(p, AdamWOptions{0.9, 0.999, 1e-8, 0.01});
  for (size_t t = 0; t < g.size(); ++t) std::fill(g.values(t).begin(), g.values(t).end(), 0.5f);
  adam.step(p, g, 0.1);
  // The weights are float32 (ulp 6e-8 near 0.9): 1e-7 relative is one or two roundings; after the
  // second step the float moments add a few more, hence 1e-6.
  CHECK(p.values("head.weight")[3] == Approx(0.899000002).epsilon(1e-7));
  CHECK(p.values("head.bias")[0] == Approx(0.900000002).epsilon(1e-7));
  CHECK(p.values("pos_embed")[0] == Approx(0.900000002).epsilon(1e-7));
  CHECK(p.values("layers.0.ln1.weight")[0] == Approx(0.900000002).epsilon(1e-7));
  for (size_t t = 0; t < g.size(); ++t) std::fill(g.values(t).begin(), g.values(t).end(), -0.25f);
  adam.step(p, g, 0.1);
  CHECK(adam.steps() == 2);
  CHECK(p.values("head.weight")[3] == Approx(0.8714672987).epsilon(1e-6));
  CHECK(p.values("layers.0.ffn1.weight")[0] == Approx(0.8714672987).epsilon(1e-6));
  CHECK(p.values("head.bias")[0] == Approx(0.8733662987).epsilon(1e-6));
}

TEST_CASE("AdamW over a tensor list steps like over Parameters and restores its state",
          "[train][optim]") {
  // The same tensors seen two ways: a Parameters set, and spans over a copy with the decay
  // flags Parameters would get.  Every value must agree bit for bit after three steps.
  Parameters p = initialize_parameters(small_config(), 7);
  Parameters q = p;
  Parameters g(small_config());
  Random random(8);
  AdamW by_set(p, AdamWOptions{});
  std::vector<AdamWTensor> tensors;
  for (size_t t = 0; t < q.size(); ++t) {
    const TensorSpec& spec = q.specs()[t];
    tensors.push_back(AdamWTensor{spec.name, q.values(t).size(),
                                  spec.dims.size() == 2 && spec.name.ends_with(".weight"), false});
  }
  AdamW by_list(tensors, AdamWOptions{});
  for (int step = 0; step < 3; ++step) {
    for (size_t t = 0; t < g.size(); ++t)
      for (float& v : g.values(t)) v = static_cast<float>(random.uniform(-1.0, 1.0));
    by_set.step(p, g, 0.01);
    by_list.step(tensor_spans(q), tensor_spans(static_cast<const Parameters&>(g)), 0.01);
  }
  for (size_t t = 0; t < p.size(); ++t) CHECK(p.values(t) == q.values(t));
  CHECK(by_list.steps() == 3);

  // A fresh optimiser given the state continues exactly like the original.
  AdamW restored(tensors, AdamWOptions{});
  restored.restore(by_list.state());
  Parameters r = q;
  by_list.step(tensor_spans(q), tensor_spans(static_cast<const Parameters&>(g)), 0.01);
  restored.step(tensor_spans(r), tensor_spans(static_cast<const Parameters&>(g)), 0.01);
  for (size_t t = 0; t < q.size(); ++t) CHECK(q.values(t) == r.values(t));

  AdamWState wrong = by_list.state();
  wrong.m.pop_back();
  CHECK_THROWS_WITH(restored.restore(wrong), Contains("does not match"));
  std::vector<std::span<float>> too_few = tensor_spans(q);
  too_few.pop_back();
  CHECK_THROWS_WITH(restored.step(too_few, tensor_spans(static_cast<const Parameters&>(g)), 0.01),
                    Contains("parameter and"));
}

TEST_CASE("gradient clipping scales to the global norm", "[train][optim]") {
  Parameters g(small_config());
  g.values("head.bias")[0] = 3.0f;
  g.values("pos_embed")[5] = -4.0f;
  CHECK(global_grad_norm(g) == Approx(5.0));
  CHECK(clip_grad_norm(g, 10.0) == Approx(5.0));
  CHECK(g.values("head.bias")[0] == 3.0f);
  CHECK(clip_grad_norm(g, 1.0) == Approx(5.0));
  CHECK(g.values("head.bias")[0] == Approx(0.6));
  CHECK(g.values("pos_embed")[5] == Approx(-0.8));
  CHECK(global_grad_norm(g) == Approx(1.0));
}

TEST_CASE("learning rate warms up linearly then decays along a cosine", "[train][optim]") {
  const LrSchedule s{1e-3, 1e-5, 10, 110};
  CHECK(s.at(0) == Approx(1e-4));
  CHECK(s.at(4) == Approx(5e-4));
  CHECK(s.at(9) == Approx(1e-3));
  CHECK(s.at(10) == Approx(1e-3));
  CHECK(s.at(60) == Approx(1e-5 + 0.5 * (1e-3 - 1e-5)));
  CHECK(s.at(85) == Approx(1e-5 + 0.5 * (1e-3 - 1e-5) * (1.0 + std::cos(0.75 * std::numbers::pi))));
  CHECK(s.at(110) == Approx(1e-5));
  CHECK(s.at(500) == Approx(1e-5));
}

// ---------------------------------------------------------------------------
TEST_CASE("window sampler skips windows before launch and the hold-out", "[train][sampler]") {
  Dataset d;
  std::vector<double> a(40, 2.0), b(40, 0.0), never(40, 0.0);
  for (size_t i = 20; i < 40; ++i) b[i] = 1.0 + static_cast<double>(i % 3);
  d.series = {make_series("a", a), make_series("b", b), make_series("never", never)};
  const WindowOptions o{8, 4, 1, 4};
  const WindowSampler sampler(d, o);
  // a: origins 1..32 (launch 0); b: 21..32 (launch 20); never sold: none.
  CHECK(sampler.total_windows() == 44);
  CHECK(sampler.series_with_windows() == 2);
  CHECK(sampler.first_origin(1) == 21);
  CHECK(sampler.last_origin(1) == 32);

  Random random(7);
  int from_a = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    const Window w = sampler.sample(random);
    REQUIRE(w.series < 2);
    REQUIRE(w.origin >= sampler.first_origin(w.series));
    REQUIRE(w.origin <= sampler.last_origin(w.series));
    from_a += w.series == 0;
  }
  // Every window equally likely: a holds 32 of 44 (standard error 0.003; the margin is 5 of them).
  CHECK(static_cast<double>(from_a) / draws == Approx(32.0 / 44.0).margin(0.015));

  // Same seed, same windows; another seed, other windows.
  Random r1(3), r2(3), r3(4);
  std::vector<Window> s1, s2, s3;
  for (int i = 0; i < 50; ++i) {
    s1.push_back(sampler.sample(r1));
    s2.push_back(sampler.sample(r2));
    s3.push_back(sampler.sample(r3));
  }
  CHECK(s1 == s2);
  CHECK(s1 != s3);

  // Context days before the series start read as 0.
  std::vector<float> context(8), target(4);
  fill_window(SeriesInputs(d), o, Window{1, 23}, context.data(), target.data());
  CHECK(context == std::vector<float>{0, 0, 0, 0, 0, 3, 1, 2});
  CHECK(target == std::vector<float>{3, 1, 2, 3});
  fill_window(SeriesInputs(d), o, Window{0, 3}, context.data(), nullptr);
  CHECK(context == std::vector<float>{0, 0, 0, 0, 0, 2, 2, 2});

  const std::vector<Window> holdout = holdout_windows(d, o);
  CHECK(holdout == std::vector<Window>{{0, 36}, {1, 36}});
}

TEST_CASE("window sampler weights series by volume and refuses bad input", "[train][sampler]") {
  Dataset d;
  d.series = {make_series("low", std::vector<double>(30, 1.0)),
              make_series("high", std::vector<double>(30, 3.0)),
              make_series("zero", std::vector<double>(30, 5.0))};
  const WindowOptions o{5, 2, 1, 0};
  std::vector<double> weights = volume_weights(d);
  CHECK(weights == std::vector<double>{1.0, 3.0, 5.0});
  weights[2] = 0.0;  // never drawn
  const WindowSampler sampler(d, o, weights);
  Random random(11);
  int high = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    const Window w = sampler.sample(random);
    REQUIRE(w.series != 2);
    high += w.series == 1;
  }
  // Binomial share of 20000 draws: standard error 0.003, the margin is 5 of them.
  CHECK(static_cast<double>(high) / draws == Approx(0.75).margin(0.015));

  CHECK_THROWS_WITH(WindowSampler(d, o, {1.0, 2.0}), Contains("2 weights for 3 series"));
  CHECK_THROWS_WITH(WindowSampler(d, o, {1.0, -1.0, 1.0}), Contains("weight of series 'high'"));
  try {
    WindowSampler(d, WindowOptions{5, 30, 1, 0});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::SeriesTooShort);
    CHECK_THAT(e.what(), Contains("no series has a training window"));
  }
}

// ---------------------------------------------------------------------------
TEST_CASE("parameters round-trip through a model file", "[train][params]") {
  const Parameters p = initialize_parameters(small_config(), 5);
  const ModelFile file =
      ModelFile::from_buffer(to_model_buffer(p, default_metadata(p)), BufferMode::Copy);
  const Parameters back = parameters_from_model(file);
  REQUIRE(back.size() == p.size());
  for (size_t t = 0; t < p.size(); ++t) CHECK(back.values(t) == p.values(t));
  // Initialisation is seeded: same seed, same weights; the documented bounds hold.
  CHECK(initialize_parameters(small_config(), 5).values("head.weight") == p.values("head.weight"));
  CHECK(initialize_parameters(small_config(), 6).values("head.weight") != p.values("head.weight"));
  const auto& w = p.values("layers.0.ffn1.weight");
  const float bound = 1.0f / std::sqrt(16.0f);
  CHECK(*std::max_element(w.begin(), w.end()) <= bound);
  CHECK(*std::min_element(w.begin(), w.end()) >= -bound);
  CHECK(p.values("revin.weight")[0] == 1.0f);
  CHECK_THROWS_WITH(p.values("no.such"), Contains("no tensor named 'no.such'"));
}

// ---------------------------------------------------------------------------
TEST_CASE("training is deterministic for a seed and thread count", "[train][trainer]") {
  const Dataset data = weekly_dataset(12, 100, 21);
  TrainOptions options{.epochs = 2, .steps_per_epoch = 8, .batch_size = 16, .threads = 2};
  options.seed = 9;
  auto run = [&]() {
    Parameters p = initialize_parameters(small_config(), 3);
    train_model(p, data, options);
    return to_model_buffer(p, default_metadata(p));
  };
  const std::vector<uint8_t> first = run();
  CHECK(first == run());
  options.seed = 10;
  CHECK(first != run());
}

TEST_CASE("training learns weekly seasonality better than seasonal naive", "[train][trainer]") {
  const Dataset data = weekly_dataset(24, 160, 5);
  const ModelConfig config = small_config();
  Parameters params = initialize_parameters(config, 1);
  TrainOptions options{.epochs = 12, .steps_per_epoch = 20, .batch_size = 32,
                       .learning_rate = 3e-3, .threads = 2, .patience = 4};

  const WindowOptions wo{config.context_length, config.horizon, 1, config.horizon};
  const std::vector<Window> holdout = holdout_windows(data, wo);
  REQUIRE(holdout.size() == data.series.size());
  const double initial_val = evaluate_loss(params, data, holdout, options);
  const Parameters initial = params;
  std::vector<double> epoch_losses;  // as the progress callback saw them
  options.progress = [&epoch_losses](const TrainProgress& p) {
    if (p.epoch_end) epoch_losses.push_back(p.val_loss);
    return true;
  };
  const TrainResult result = train_model(params, data, options);
  INFO("initial " << initial_val << " best " << result.best_val_loss << " after "
                  << result.epochs_run << " epochs");
  // The kept parameters are the best epoch's: their hold-out loss, computed here, is the lowest
  // an epoch reported, and they are bit for bit those of the same run stopped after that epoch.
  REQUIRE(epoch_losses.size() == static_cast<size_t>(result.epochs_run));
  const auto best = std::min_element(epoch_losses.begin(), epoch_losses.end());
  CHECK(evaluate_loss(params, data, holdout, options) == *best);
  const int64_t best_epoch = best - epoch_losses.begin() + 1;
  Parameters stopped = initial;
  options.progress = [best_epoch](const TrainProgress& p) { return !(p.epoch_end && p.epoch == best_epoch); };
  train_model(stopped, data, options);
  for (size_t t = 0; t < params.size(); ++t) CHECK(stopped.values(t) == params.values(t));
  CHECK(*best < initial_val / 4.0);
  options.progress = nullptr;

  // Sales-scale pinball over the hold-out: the model against seasonal naive (last week repeated,
  // the same value for every quantile).
  TrainableEncoder<float> encoder(config, kernels::backend_of(options.backend));
  const int64_t n = static_cast<int64_t>(holdout.size()), L = config.context_length,
                H = config.horizon;
  std::vector<float> context(static_cast<size_t>(n * L)), target(static_cast<size_t>(n * H));
  for (int64_t i = 0; i < n; ++i)
    fill_window(SeriesInputs(data), wo, holdout[static_cast<size_t>(i)], context.data() + i * L,
                target.data() + i * H);
  encoder.forward(params, context.data(), n);
  std::vector<float> forecast(static_cast<size_t>(n * H * 3));
  encoder.forecast_sales(params, forecast.data());
  double model_loss = 0.0, naive_loss = 0.0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t h = 0; h < H; ++h) {
      const double y = target[static_cast<size_t>(i * H + h)];
      const double naive = context[static_cast<size_t>(i * L + L - 7 + h)];
      for (int64_t q = 0; q < 3; ++q) {
        const double tau = config.quantiles[static_cast<size_t>(q)];
        model_loss += pinball(y, forecast[static_cast<size_t>((i * H + h) * 3 + q)], tau);
        naive_loss += pinball(y, naive, tau);
      }
    }
  INFO("sales-scale pinball: model " << model_loss << " seasonal naive " << naive_loss);
  CHECK(model_loss < 0.8 * naive_loss);
}

TEST_CASE("training reports progress and can be cancelled", "[train][trainer]") {
  const Dataset data = weekly_dataset(6, 80, 2);
  Parameters params = initialize_parameters(small_config(), 2);
  const Parameters initial = params;
  TrainOptions options;
  std::vector<TrainProgress> seen;
  cancel_after_epoch_2(options, seen);
  check_cancelled_after_epoch_2(train_model(params, data, options), seen);
  CHECK(seen[5].samples_per_second > 0.0);
  CHECK(params.values("head.weight") != initial.values("head.weight"));

  options.progress = nullptr;
  options.batch_size = 0;
  CHECK_THROWS_WITH(train_model(params, data, options), Contains("batch_size 0"));
}

TEST_CASE("training stops early after `patience` epochs without improvement", "[train][trainer]") {
  const Dataset data = weekly_dataset(6, 80, 4);
  Parameters params = initialize_parameters(small_config(), 4);
  TrainOptions options{.epochs = 10, .steps_per_epoch = 2, .batch_size = 8, .patience = 2};
  // A learning rate far below float resolution: the validation loss never changes, so it never
  // improves on the first epoch's.
  options.learning_rate = options.min_learning_rate = 1e-30;
  const TrainResult result = train_model(params, data, options);
  CHECK(result.stopped_early);
  CHECK_FALSE(result.cancelled);
  CHECK(result.epochs_run == 3);
  CHECK(result.best_epoch == 1);
  REQUIRE(result.val_losses.size() == 3);
  CHECK(result.val_losses[2] == result.val_losses[0]);

  // Without a hold-out there is no validation: every epoch runs and the last parameters stay.
  options.holdout_days = 0;
  const TrainResult plain = train_model(params, data, options);
  CHECK_FALSE(plain.stopped_early);
  CHECK(plain.epochs_run == 10);
  CHECK(plain.best_epoch == 10);
  CHECK(plain.val_losses.empty());
  CHECK(std::isnan(plain.best_val_loss));
}

TEST_CASE("revenue weights use the price column", "[train][sampler]") {
  Dataset d;
  d.series = {make_series("a", {0, 2, 2, 2}), make_series("b", {1, 1, 1, 1})};
  Column price;
  price.name = "price";
  price.numeric_values = {{9, 1.5, NAN, 3.0}, {2, 2, 2, 2}};
  d.columns.push_back(price);
  // a: launch at day 1, revenue 3 + 0 (unknown price) + 6 over 3 days; b: 8 over 4 days.
  CHECK(revenue_weights(d) == std::vector<double>{3.0, 2.0});
  CHECK_THROWS_WITH(revenue_weights(d, "cost"), Contains("numeric 'cost' column"));
}

TEST_CASE("training with more threads than windows leaves the extra shares empty",
          "[train][trainer]") {
  // Batch 3 over 4 threads: shares {}, {0}, {1}, {2}; over 3 threads: {0}, {1}, {2}.  The
  // gradients are summed in the same order (0 + g0 == g0 exactly), so both runs agree bit for bit.
  const Dataset data = weekly_dataset(5, 70, 8);
  TrainOptions options{.epochs = 2, .steps_per_epoch = 3, .batch_size = 3, .holdout_days = 0};
  auto run = [&](int threads) {
    options.threads = threads;
    Parameters p = initialize_parameters(small_config(), 8);
    train_model(p, data, options);
    return to_model_buffer(p, default_metadata(p));
  };
  CHECK(run(4) == run(3));
}

TEST_CASE("training updates only the trainable tensors", "[train][trainer]") {
  const Dataset data = weekly_dataset(6, 80, 6);
  Parameters params = initialize_parameters(small_config(), 6);
  const Parameters initial = params;
  TrainOptions options{.epochs = 1, .steps_per_epoch = 3, .batch_size = 8,
                       .trainable_prefixes = {"head."}};
  train_model(params, data, options);
  for (size_t t = 0; t < params.size(); ++t) {
    INFO(params.specs()[t].name);
    if (params.specs()[t].name.starts_with("head."))
      CHECK(params.values(t) != initial.values(t));
    else
      CHECK(params.values(t) == initial.values(t));  // weight decay included
  }
  options.trainable_prefixes = {"nothing."};
  CHECK_THROWS_WITH(train_model(params, data, options), Contains("no tensor name starts with"));
}

TEST_CASE("a diverging run fails with Diverged, naming the step", "[train][trainer]") {
  TrainOptions options{.epochs = 1, .batch_size = 8, .warmup_steps = 0};
  // AdamW moves every weight by about the learning rate in its first step: 1e30 puts products
  // of two weights beyond float range (3.4e38) in the next forward pass.
  options.learning_rate = options.min_learning_rate = 1e30;
  Parameters params = initialize_parameters(small_config(), 2);
  const Error e = thrown_error([&] { train_model(params, weekly_dataset(6, 80, 2), options); });
  CHECK(e.code() == ErrorCode::Diverged);
  CHECK_THAT(e.what(), Contains("train: the loss is") && Contains("at step 2 (diverged"));
}
