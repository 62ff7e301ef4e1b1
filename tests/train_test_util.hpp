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
inline Parameters random_parameters(const ModelConfig& config, uint64_t seed) {
  Parameters p = initialize_parameters(config, seed);
  Random random(seed + 1);
  for (size_t i = 0; i < p.size(); ++i) {
    const std::string& name = p.specs()[i].name;
    for (float& v : p.values(i)) {
      if (name == "revin.weight")
        v = 1.3f;
      else if (name == "revin.bias")
        v = 0.2f;
      else if (name == "head.weight")
        v *= 10.0f;  // a head large enough to matter
      else
        v += static_cast<float>(random.uniform(-0.2, 0.2));
    }
  }
  return p;
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
