// Small models and synthetic data sets shared by the training tests
// (test_train.cpp, test_lora.cpp, test_checkpoint.cpp, test_train_grad.cpp,
// test_pretrain.cpp).
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "data/dataset.hpp"
#include "layers/covariates.hpp"
#include "model/model_config.hpp"
#include "io/byte_io.hpp"
#include "io/mapped_file.hpp"
#include "train/parameters.hpp"
#include "train/random.hpp"
#include "train/trainer.hpp"

namespace invforecast::train::testing {

inline ModelConfig small_config() {
  return {.context_length = 28, .patch_length = 7, .stride = 7, .padding = PaddingMode::None,
          .d_model = 16, .heads = 2, .ffn_dim = 32, .layers = 1, .horizon = 7,
          .quantiles = {0.1, 0.5, 0.9}};
}

// Two layers, end padding, 4 tokens: the gradient checks' model.
inline ModelConfig tiny_config() {
  return {.context_length = 16, .patch_length = 4, .stride = 4,
          .padding = PaddingMode::ReplicateEnd, .d_model = 8, .heads = 2, .ffn_dim = 16,
          .layers = 2, .horizon = 3, .quantiles = {0.1, 0.5, 0.9}};
}

// 5 epochs of 4 steps (batch 8) reporting every 2 steps into `seen`, cancelled at the end of
// epoch 2.
inline void cancel_after_epoch_2(TrainOptions& o, std::vector<TrainProgress>& seen) {
  o.epochs = 5;
  o.steps_per_epoch = 4;
  o.batch_size = 8;
  o.progress_interval_steps = 2;
  o.progress = [&seen](const TrainProgress& p) {
    seen.push_back(p);
    return !(p.epoch_end && p.epoch == 2);
  };
}

// The result and the reports of a run set up by cancel_after_epoch_2.
inline void check_cancelled_after_epoch_2(const TrainResult& result,
                                          const std::vector<TrainProgress>& seen) {
  CHECK(result.cancelled);
  CHECK(result.epochs_run == 2);
  CHECK(result.steps == 8);
  // Two step reports per epoch, then the epoch's report.
  REQUIRE(seen.size() == 6);
  CHECK(seen[2].epoch_end);
  CHECK(seen[2].step == 4);
  CHECK(seen[2].total_steps == 20);
  CHECK(std::isnan(seen[0].val_loss));
  CHECK(std::isfinite(seen[2].val_loss));
  CHECK(seen[5].train_loss > 0.0);
}

inline Series make_series(std::string id, std::vector<double> values) {
  Series s;
  s.id = std::move(id);
  s.values = std::move(values);
  s.observed.assign(s.values.size(), 1);
  s.stats = compute_stats(s.values, s.observed);
  return s;
}

// Weekly-periodic series: level * (1 + amplitude sin(2 pi (t + phase) / 7))
// plus uniform noise of +-10% of the level; levels from 5 to 60.  The
// amplitude is the same for every series, or, with amplitude_max, drawn per
// series from [amplitude, amplitude_max].
inline Dataset weekly_dataset(int series, int days, uint64_t seed, double amplitude = 0.6,
                              std::optional<double> amplitude_max = std::nullopt) {
  Random random(seed);
  Dataset d;
  for (int s = 0; s < series; ++s) {
    const double level = 5.0 + 55.0 * random.uniform();
    const double a = amplitude_max ? random.uniform(amplitude, *amplitude_max) : amplitude;
    const double phase = static_cast<double>(random.below(7));
    std::vector<double> values(static_cast<size_t>(days));
    for (int t = 0; t < days; ++t) {
      const double season = 1.0 + a * std::sin(2.0 * std::numbers::pi * (t + phase) / 7.0);
      values[static_cast<size_t>(t)] =
          std::max(0.0, level * season + level * random.uniform(-0.1, 0.1));
    }
    d.series.push_back(make_series("s" + std::to_string(s), std::move(values)));
  }
  return d;
}

// Initial weights with every gain, bias and embedding moved off its initial
// value, so that no gradient path is trivially zero.
inline Parameters random_parameters(const ModelConfig& config, uint64_t seed,
                                    const std::vector<FeatureSpec>& features = target_features()) {
  Parameters p = initialize_parameters(config, seed, features);
  Random random(seed + 1);
  for (size_t i = 0; i < p.size(); ++i) {
    const std::string& name = p.specs()[i].name;
    for (float& v : p.values(i)) {
      if (name == "revin.weight")
        v = 1.3f;
      else if (name == "revin.bias")
        v = 0.2f;
      else if (name == "head.weight" || name == "decoder.out.weight")
        v *= 10.0f;  // a head large enough to matter
      else
        v += static_cast<float>(random.uniform(-0.2, 0.2));
    }
  }
  return p;
}

// Covariates of every role and kind, for the covariate model's tests: a known-future price with
// its log-ratio channel, a known-future event (3 levels), a past-only shelf price, a past-only
// flag (2 levels), a static size and a static store (2 levels), and two calendar features.
inline std::vector<FeatureSpec> test_features() {
  using R = FeatureRole;
  using K = FeatureKind;
  std::vector<FeatureSpec> f = target_features();
  auto real = [](std::string name, R role, double mean, double scale, bool log_ratio) {
    FeatureSpec s{std::move(name), K::Real, role};
    s.mean = mean, s.scale = scale, s.log_ratio = log_ratio;
    return s;
  };
  auto categorical = [](std::string name, R role, std::vector<std::string> levels) {
    FeatureSpec s{std::move(name), K::Categorical, role};
    s.levels = std::move(levels);
    return s;
  };
  f.push_back(real("price", R::FutureCovariate, 3.0, 0.5, true));
  f.push_back(categorical("event", R::FutureCovariate, {"a", "b", "c"}));
  f.push_back(real("shelf", R::PastCovariate, 2.0, 1.0, false));
  f.push_back(categorical("flag", R::PastCovariate, {"no", "yes"}));
  f.push_back(real("size", R::StaticCovariate, 10.0, 4.0, false));
  f.push_back(categorical("store", R::StaticCovariate, {"s1", "s2"}));
  FeatureSpec dow = categorical("day_of_week", R::FutureCovariate, {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"});
  dow.source = FeatureSource::Calendar;
  f.push_back(dow);
  FeatureSpec dom = real("day_of_month", R::FutureCovariate, 15.7, 8.8, false);
  dom.source = FeatureSource::Calendar;
  f.push_back(dom);
  return f;
}

// Random covariate arrays for a batch of a covariate model (layers::CovariateBatch's layout):
// reals uniform in +-1.5, every code uniform over its table (unknown bucket included).
template <class T>
struct TestCovariates {
  std::vector<T> context_real, horizon_real, static_real;
  std::vector<int32_t> context_codes, horizon_codes, static_codes;
  layers::CovariateBatch<T> batch() const {
    return {context_real.data(),  horizon_real.data(), context_codes.data(),
            horizon_codes.data(), static_real.data(),  static_codes.data()};
  }
  template <class U>
  TestCovariates<U> cast() const {
    return {{context_real.begin(), context_real.end()}, {horizon_real.begin(), horizon_real.end()},
            {static_real.begin(), static_real.end()},   context_codes, horizon_codes, static_codes};
  }
};

template <class T>
TestCovariates<T> random_covariates(const ModelConfig& config, const std::vector<FeatureSpec>& features,
                                    int64_t batch, uint64_t seed) {
  const CovariateLayout l = covariate_layout(config, features);
  const layers::CovariateInputSizes z = layers::covariate_input_sizes(config, l);
  Random random(seed);
  TestCovariates<T> out;
  auto reals = [&](std::vector<T>& v, int64_t per_series) {
    v.resize(static_cast<size_t>(batch * per_series));
    for (T& x : v) x = static_cast<T>(random.uniform(-1.5, 1.5));
  };
  reals(out.context_real, z.context_real);
  reals(out.horizon_real, z.horizon_real);
  reals(out.static_real, z.static_real);
  // Codes: each column's entries are its feature's levels + 1.
  auto codes = [&](std::vector<int32_t>& v, int64_t rows, const std::vector<size_t>& columns) {
    v.resize(static_cast<size_t>(rows) * columns.size());
    for (int64_t r = 0; r < rows; ++r)
      for (size_t j = 0; j < columns.size(); ++j)
        v[static_cast<size_t>(r) * columns.size() + j] =
            static_cast<int32_t>(random.below(features[columns[j]].levels.size() + 1));
  };
  std::vector<size_t> context_columns = l.known_categorical;
  context_columns.insert(context_columns.end(), l.past_categorical.begin(), l.past_categorical.end());
  codes(out.context_codes, batch * config.context_length, context_columns);
  codes(out.horizon_codes, batch * config.horizon, l.known_categorical);
  codes(out.static_codes, batch, l.static_categorical);
  return out;
}

// The Error that action() throws; the test fails (std::logic_error) when it throws none.
template <class Action>
Error thrown_error(Action&& action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  throw std::logic_error("no invforecast::Error was thrown");
}

// Overwrites the u32 at offset of a checkpoint or adapter file and re-seals
// its trailing CRC-32, so that the reader gets past the checksum and has to
// find the inconsistency itself.
inline std::vector<uint8_t> patched(std::vector<uint8_t> bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    bytes[offset + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
  const size_t body = bytes.size() - 4;
  const uint32_t crc = io::crc32(std::span<const uint8_t>(bytes.data(), body));
  for (int i = 0; i < 4; ++i)
    bytes[body + static_cast<size_t>(i)] = static_cast<uint8_t>(crc >> (8 * i));
  return bytes;
}

// A file's bytes, to compare or damage.
inline std::vector<uint8_t> file_bytes(const std::string& path) {
  const io::MappedFile file(path, "test file");
  return {file.bytes().begin(), file.bytes().end()};
}

}  // namespace invforecast::train::testing
