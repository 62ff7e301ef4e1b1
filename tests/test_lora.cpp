// LoRA fine-tuning (lib/train/lora.*): merging, the factors' gradients against
// central finite differences in float64, a fine-tune that learns while the
// base stays bit-identical, and the adapter file (round trip, size, every
// kind of damage).
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "error.hpp"
#include "error_matchers.hpp"
#include "test_files.hpp"
#include "io/byte_io.hpp"
#include "train/lora.hpp"
#include "train/loss.hpp"
#include "train/parameters.hpp"
#include "train/random.hpp"
#include "train/trainable_encoder.hpp"
#include "train/trainer.hpp"
#include "train/window_sampler.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using namespace invforecast::testing;
using namespace invforecast::train;
using namespace invforecast::train::testing;

namespace {

std::vector<double> uniform_values(size_t count, double low, double high, uint64_t seed) {
  Random random(seed);
  std::vector<double> x(count);
  for (double& v : x) v = random.uniform(low, high);
  return x;
}

// One peak day a week at 4x the level of the other days, +-10% noise.
Dataset peak_dataset(int series, int days, uint64_t seed) {
  Random random(seed);
  Dataset d;
  for (int s = 0; s < series; ++s) {
    const double level = 5.0 + 25.0 * random.uniform();
    const int64_t peak = static_cast<int64_t>(random.below(7));
    std::vector<double> values(static_cast<size_t>(days));
    for (int t = 0; t < days; ++t)
      values[static_cast<size_t>(t)] =
          level * ((t % 7 == peak) ? 4.0 : 1.0) * (1.0 + random.uniform(-0.1, 0.1));
    d.series.push_back(make_series("p" + std::to_string(s), std::move(values)));
  }
  return d;
}


}  // namespace

// ---------------------------------------------------------------------------
TEST_CASE("LoRA merge: W + (alpha / rank) B A, and the base model exactly while B = 0",
          "[train][lora]") {
  // Hand-computed: W [2, 3], rank 1, A = (1, 2, 3), B = (0.5, -1), scale 2:
  // W_eff = W + 2 * [[0.5, 1, 1.5], [-1, -2, -3]].
  const std::vector<float> w = {1, 1, 1, 0, 0, 0}, a = {1, 2, 3}, b = {0.5f, -1};
  std::vector<float> w_eff(6);
  lora_merge_tensor(w.data(), a.data(), b.data(), 2, 3, 1, 2.0, w_eff.data());
  CHECK(w_eff == std::vector<float>{2, 3, 4, -2, -4, -6});
  // Gradient projection for d_w = all ones: d_a = 2 * (0.5 - 1) = -1 per column,
  // d_b = 2 * (1 + 2 + 3) = 12 per row.
  const std::vector<float> d_w(6, 1.0f);
  std::vector<float> d_a(3), d_b(2);
  lora_project_gradient(d_w.data(), a.data(), b.data(), 2, 3, 1, 2.0, d_a.data(), d_b.data());
  CHECK(d_a == std::vector<float>{-1, -1, -1});
  CHECK(d_b == std::vector<float>{12, 12});

  const ModelConfig config = small_config();
  const Parameters base = initialize_parameters(config, 3);
  LoraAdapter adapter = init_adapter(base, LoraOptions{4, 8.0, {}}, 11);
  REQUIRE(adapter.tensors.size() == 4);
  CHECK(adapter.tensors[0].target == "layers.0.attn.qkv.weight");
  CHECK(adapter.tensors[3].target == "layers.0.ffn2.weight");
  CHECK(adapter.scale() == 2.0);
  CHECK(adapter.base_checksum == parameters_checksum(base));
  const float bound = 1.0f / std::sqrt(16.0f);
  for (float v : adapter.tensors[0].a) REQUIRE(std::abs(v) <= bound);
  CHECK(init_adapter(base, LoraOptions{4, 8.0, {}}, 11) == adapter);
  CHECK_FALSE(init_adapter(base, LoraOptions{4, 8.0, {}}, 12) == adapter);

  // B = 0: every merged tensor equals the base's bit for bit, so the forward pass does too.
  const Parameters merged = merge_adapter(base, adapter);
  for (size_t t = 0; t < base.size(); ++t) CHECK(merged.values(t) == base.values(t));
  const Dataset data = weekly_dataset(4, 60, 2);
  const WindowOptions wo{config.context_length, config.horizon, 1, 0};
  std::vector<float> context(static_cast<size_t>(4 * config.context_length));
  for (uint32_t s = 0; s < 4; ++s)
    fill_window(SeriesInputs(data), wo, Window{s, 40}, context.data() + s * config.context_length, nullptr);
  TrainableEncoder<float> on_base(config, kernels::backend_of(kernels::BackendKind::Cpu)),
      on_merged(config, kernels::backend_of(kernels::BackendKind::Cpu));
  on_base.forward(base, context.data(), 4);
  on_merged.forward(merged, context.data(), 4);
  CHECK(std::ranges::equal(on_base.predictions(), on_merged.predictions()));

  // With B != 0 exactly the adapted tensors change.
  for (LoraTensor& t : adapter.tensors) std::fill(t.b.begin(), t.b.end(), 0.25f);
  const Parameters moved = merge_adapter(base, adapter);
  for (size_t t = 0; t < base.size(); ++t) {
    const std::string& name = base.specs()[t].name;
    const bool adapted = name == "layers.0.attn.qkv.weight" || name == "layers.0.attn.out.weight" ||
                         name == "layers.0.ffn1.weight" || name == "layers.0.ffn2.weight";
    INFO(name);
    CHECK((moved.values(t) != base.values(t)) == adapted);
  }
  // One entry by hand: W_eff[0, 0] = W[0, 0] + 2 * sum_r 0.25 * A[r, 0].
  const LoraTensor& qkv = adapter.tensors[0];
  double sum = 0.0;
  for (int64_t r = 0; r < 4; ++r) sum += 0.25 * qkv.a[static_cast<size_t>(r * qkv.in)];
  // The merge runs in float32 (ulp 1.2e-7 relative) over rank 4 terms: 1e-6 covers their rounding.
  CHECK(moved.values("layers.0.attn.qkv.weight")[0] ==
        Approx(base.values("layers.0.attn.qkv.weight")[0] + 2.0 * sum).epsilon(1e-6));
}

TEST_CASE("LoRA options are checked", "[train][lora]") {
  const Parameters base = initialize_parameters(small_config(), 3);
  check_error(
      [&] {
        init_adapter(base, LoraOptions{0, 8.0, {}}, 1);
      },
      ErrorCode::InvalidArgument, "rank 0 is outside");
  check_error(
      [&] {
        init_adapter(base, LoraOptions{2, 0.0, {}}, 1);
      },
      ErrorCode::InvalidArgument, "alpha 0 must be");
  check_error(
      [&] {
        init_adapter(base, LoraOptions{2, 1.0, {"layers.0.nope.weight"}}, 1);
      },
      ErrorCode::InvalidArgument, "no tensor named 'layers.0.nope.weight'");
  check_error(
      [&] {
        init_adapter(base, LoraOptions{2, 1.0, {"head.bias"}}, 1);
      },
      ErrorCode::InvalidArgument, "'head.bias' is not a linear layer's weight");
  check_error(
      [&] {
        init_adapter(base, LoraOptions{2, 1.0, {"head.weight", "head.weight"}}, 1);
      },
      ErrorCode::InvalidArgument, "named twice");
  // Any linear weight may be adapted, e.g. the head alone.
  const LoraAdapter head = init_adapter(base, LoraOptions{2, 1.0, {"head.weight"}}, 1);
  REQUIRE(head.tensors.size() == 1);
  CHECK(head.tensors[0].out == 7 * 3);
  CHECK(head.tensors[0].in == 16 * 4);
}

// ---------------------------------------------------------------------------
TEST_CASE("LoRA factor gradients match finite differences in float64", "[train][lora][grad]") {
  // Loss(A, B) = pinball(forward(base with W + s B A)); analytic dA = s B^T dW, dB = s dW A^T from
  // the reference backward in double.  Metric per factor: max |analytic - numeric| over sampled
  // entries / max(max |numeric|, 1e-6), bound 1e-5 (the whole-model check's; step 1e-6).
  const ModelConfig config = tiny_config();
  const ParameterSet<double> base = random_parameters(config, 41).cast<double>();
  const LoraAdapter shapes = init_adapter(base.cast<float>(), LoraOptions{2, 3.0, {}}, 42);
  const double scale = shapes.scale();
  const int64_t rank = shapes.rank;
  const size_t targets = shapes.tensors.size();
  REQUIRE(targets == 8);
  std::vector<std::vector<double>> a(targets), b(targets);
  for (size_t k = 0; k < targets; ++k) {
    const LoraTensor& t = shapes.tensors[k];
    a[k] = uniform_values(t.a.size(), -0.5, 0.5, 100 + k);
    b[k] = uniform_values(t.b.size(), -0.3, 0.3, 200 + k);  // B != 0, or dA would vanish
  }
  const int64_t batch = 3;
  const std::vector<double> context = uniform_values(batch * config.context_length, 0.0, 10.0, 7);
  const std::vector<double> targets_y = uniform_values(batch * config.horizon, 0.0, 10.0, 8);
  const std::vector<double> weights = {1.0, 0.5, 2.0};
  TrainableEncoder<double> encoder(config, kernels::backend_of(kernels::BackendKind::Reference));
  ParameterSet<double> merged = base;

  auto loss = [&](std::vector<double>* d_pred) {
    for (size_t k = 0; k < targets; ++k) {
      const LoraTensor& t = shapes.tensors[k];
      lora_merge_tensor(base.data(t.target), a[k].data(), b[k].data(), t.out, t.in, rank, scale,
                        merged.data(t.target));
    }
    encoder.forward(merged, context.data(), batch);
    std::vector<double> normalized(targets_y.size());
    encoder.normalize_targets(targets_y.data(), normalized.data());
    const LossShape shape{batch, config.horizon, config.quantiles, config.median_quantile_index()};
    if (d_pred) d_pred->assign(encoder.predictions().size(), 0.0);
    return weighted_loss(LossKind::Pinball, shape, encoder.predictions().data(), normalized.data(),
                         weights.data(), d_pred ? d_pred->data() : nullptr);
  };

  std::vector<double> d_pred;
  loss(&d_pred);
  ParameterSet<double> grads(config);
  encoder.backward(merged, d_pred.data(), grads);
  std::vector<std::vector<double>> d_a(targets), d_b(targets);
  for (size_t k = 0; k < targets; ++k) {
    const LoraTensor& t = shapes.tensors[k];
    d_a[k].resize(a[k].size());
    d_b[k].resize(b[k].size());
    lora_project_gradient(grads.data(t.target), a[k].data(), b[k].data(), t.out, t.in, rank, scale,
                          d_a[k].data(), d_b[k].data());
  }

  const double step = 1e-6;
  const bool print = std::getenv("INVF_PRINT_GRAD_ERRORS") != nullptr;
  Random pick(43);
  double worst = 0.0;
  for (size_t k = 0; k < targets; ++k)
    for (int factor = 0; factor < 2; ++factor) {
      std::vector<double>& values = factor == 0 ? a[k] : b[k];
      const std::vector<double>& analytic = factor == 0 ? d_a[k] : d_b[k];
      double max_diff = 0.0, max_numeric = 1e-6;
      for (int sample = 0; sample < 6; ++sample) {
        const size_t i = pick.below(values.size());
        const double saved = values[i];
        values[i] = saved + step;
        const double up = loss(nullptr);
        values[i] = saved - step;
        const double down = loss(nullptr);
        values[i] = saved;
        const double numeric = (up - down) / (2.0 * step);
        max_diff = std::max(max_diff, std::abs(numeric - analytic[i]));
        max_numeric = std::max(max_numeric, std::abs(numeric));
      }
      const double error = max_diff / max_numeric;
      if (print)
        std::printf("lora grad %-26s %s  max|numeric| %.3g  error %.3g\n",
                    shapes.tensors[k].target.c_str(), factor == 0 ? "A" : "B", max_numeric, error);
      INFO(shapes.tensors[k].target << (factor == 0 ? " A" : " B"));
      CHECK(max_numeric > 1e-4);  // the check means something only if the gradient is not ~0
      // float64 central differences with step 1e-6: truncation ~step^2 and rounding ~1e-16 / step
      // = 1e-10 relative; pinball kinks crossed by a step make the rest, far below 1e-5.
      CHECK(error < 1e-5);
      worst = std::max(worst, error);
    }
  if (print) std::printf("lora grad worst error %.3g\n", worst);
}

// ---------------------------------------------------------------------------
TEST_CASE("a LoRA fine-tune lowers the validation loss and leaves the base untouched",
          "[train][lora][trainer]") {
  const ModelConfig config = small_config();
  // The base: trained briefly on one data set.
  Parameters base = initialize_parameters(config, 1);
  TrainOptions pre{.epochs = 3, .steps_per_epoch = 15, .batch_size = 32, .learning_rate = 3e-3,
                   .threads = 2};
  train_model(base, weekly_dataset(24, 160, 5), pre);

  // The fine-tune: other series whose week has another shape (one peak day).
  const Dataset target = peak_dataset(16, 120, 31);
  TrainOptions options{.epochs = 6, .steps_per_epoch = 15, .batch_size = 32, .learning_rate = 1e-2,
                       .threads = 2, .patience = 0, .lora = LoraOptions{4, 8.0, {}}};
  const WindowOptions wo{config.context_length, config.horizon, options.min_history,
                         config.horizon};
  const std::vector<Window> holdout = holdout_windows(target, wo);
  REQUIRE(holdout.size() == target.series.size());

  const Parameters before = base;
  const double initial = evaluate_loss(base, target, holdout, options);
  std::vector<double> epoch_losses;  // as the progress callback saw them
  options.progress = [&epoch_losses](const TrainProgress& p) {
    if (p.epoch_end) epoch_losses.push_back(p.val_loss);
    return true;
  };
  LoraAdapter adapter;
  const TrainResult result = train_model(base, target, options, &adapter);
  INFO("validation loss: base " << initial << ", after LoRA " << result.best_val_loss);
  for (size_t t = 0; t < base.size(); ++t) CHECK(base.values(t) == before.values(t));
  // The returned adapter is the best epoch's: merged here, its hold-out loss is the lowest an
  // epoch reported.
  REQUIRE(epoch_losses.size() == 6);
  const double best = *std::min_element(epoch_losses.begin(), epoch_losses.end());
  CHECK(evaluate_loss(merge_adapter(base, adapter), target, holdout, options) == best);
  CHECK(best < 0.75 * initial);  // measured: 0.260 -> 0.148
  CHECK(adapter.rank == 4);
  CHECK(adapter.base_checksum == parameters_checksum(base));
  bool b_moved = false;
  for (const LoraTensor& t : adapter.tensors)
    b_moved |= std::any_of(t.b.begin(), t.b.end(), [](float v) { return v != 0.0f; });
  CHECK(b_moved);

  // Deterministic: the same run gives the same adapter.
  LoraAdapter again;
  options.epochs = 2;
  train_model(base, target, options, &again);
  LoraAdapter third;
  train_model(base, target, options, &third);
  CHECK(again == third);

  options.epochs = 1;
  check_error([&] { train_model(base, target, options); }, ErrorCode::InvalidArgument,
              "needs an adapter to return");
  options.trainable_prefixes = {"head."};
  check_error([&] { train_model(base, target, options, &third); }, ErrorCode::InvalidArgument,
              "trainable_prefixes must be empty");
}

// ---------------------------------------------------------------------------
TEST_CASE("adapter files round-trip and stay small for the default configuration",
          "[train][lora][file]") {
  const Parameters base = initialize_parameters(small_config(), 3);
  LoraAdapter adapter = init_adapter(base, LoraOptions{2, 4.0, {}}, 5);
  Random random(6);
  for (LoraTensor& t : adapter.tensors)
    for (float& v : t.b) v = static_cast<float>(random.uniform(-1.0, 1.0));
  const std::vector<uint8_t> bytes = write_adapter_buffer(adapter);
  CHECK(read_adapter(bytes) == adapter);
  CHECK(write_adapter_buffer(read_adapter(bytes)) == bytes);

  Folder dir("lora");
  const std::string path = (dir.path / "small.invfa").string();
  write_adapter_file(path, adapter);
  CHECK(read_adapter_file(path) == adapter);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  CHECK(std::filesystem::file_size(path) == bytes.size());

  // Default model configuration, rank 8: 3 layers x (qkv, out, ffn1, ffn2).
  const ModelConfig config;
  const Parameters big = initialize_parameters(config, 1);
  const LoraAdapter defaults = init_adapter(big, LoraOptions{8, 16.0, {}}, 1);
  const std::vector<uint8_t> file = write_adapter_buffer(defaults);
  const int64_t D = config.d_model, F = config.ffn_dim, r = 8;
  const int64_t floats_per_layer =
      r * D + 3 * D * r + r * D + D * r + r * D + F * r + r * F + D * r;
  size_t names = 0;
  for (const LoraTensor& t : defaults.tensors) names += 4 + t.target.size() + 8;
  CHECK(file.size() == 32 + names + 4 * static_cast<size_t>(config.layers * floats_per_layer) + 4);
  std::printf(
      "LoRA adapter file, default config (d_model %lld, ffn %lld, %lld layers), rank 8: "
      "%zu bytes (base model %zu bytes)\n",
      static_cast<long long>(D), static_cast<long long>(F), static_cast<long long>(config.layers),
      file.size(), to_model_buffer(big, default_metadata(big)).size());
  CHECK(file.size() < 1000000);
}

TEST_CASE("damaged, truncated or foreign adapter files are refused with the right error",
          "[train][lora][file]") {
  const Parameters base = initialize_parameters(small_config(), 3);
  const LoraAdapter adapter = init_adapter(base, LoraOptions{2, 4.0, {}}, 5);
  const std::vector<uint8_t> bytes = write_adapter_buffer(adapter);

  require_damage_refused(
      bytes, [](std::span<const uint8_t> damaged) { read_adapter(damaged); }, 1, 1, 0x10);
  check_error([&] { read_adapter(std::span<const uint8_t>(bytes.data(), 20)); },
              ErrorCode::CorruptModel, "truncated");
  std::vector<uint8_t> flipped = bytes;
  flipped[100] ^= 1;
  check_error([&] { read_adapter(flipped); }, ErrorCode::CorruptModel, "checksum mismatch");
  check_error([&] { read_adapter(to_model_buffer(base, default_metadata(base))); },
              ErrorCode::CorruptModel, "bad magic");

  // Inconsistent fields behind a valid checksum.
  check_error([&] { read_adapter(patched(bytes, 8, 2)); }, ErrorCode::CorruptModel,
              "format version 2 is not supported");
  check_error([&] { read_adapter(patched(bytes, 12, 5000)); }, ErrorCode::CorruptModel,
              "rank 5000 is outside");
  check_error([&] { read_adapter(patched(bytes, 28, 5)); }, ErrorCode::CorruptModel,
              "name of tensor 4 needs 4 bytes");
  check_error([&] { read_adapter(patched(bytes, 28, 3)); }, ErrorCode::CorruptModel,
              "unexpected bytes after the last field");
  const size_t first_rows = 32 + 4 + adapter.tensors[0].target.size();
  check_error([&] { read_adapter(patched(bytes, first_rows, 0x7fffffff)); },
              ErrorCode::CorruptModel, "absurd dimensions [2147483647, 16]");
  check_error([&] { read_adapter(patched(bytes, first_rows, 4000)); }, ErrorCode::CorruptModel,
              "factor B needs 8000 floats");
  check_error([&] { read_adapter(patched(bytes, 32, 300)); }, ErrorCode::CorruptModel,
              "name of tensor 0 length 300 is outside 1..256");

  // Another base: same shapes, other weights; or other shapes.
  const Parameters other = initialize_parameters(small_config(), 4);
  check_error([&] { merge_adapter(other, adapter); }, ErrorCode::InvalidArgument,
              "made for a base model with checksum");
  ModelConfig wide = small_config();
  wide.d_model = 32;
  check_error([&] { merge_adapter(initialize_parameters(wide, 3), adapter); },
              ErrorCode::InvalidArgument, "'layers.0.attn.qkv.weight' is [48, 16] in the adapter");

  Folder dir("lora");
  check_error([&] { read_adapter_file((dir.path / "missing.invfa").string()); }, ErrorCode::Io,
              "cannot open adapter file");
  check_error([&] { write_adapter_file((dir.path / "no/such/dir.invfa").string(), adapter); },
              ErrorCode::Io, "cannot create adapter file");
}
