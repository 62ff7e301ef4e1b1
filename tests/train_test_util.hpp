// Small models and synthetic data sets shared by the training tests
// (test_train.cpp, test_lora.cpp, test_checkpoint.cpp, test_train_grad.cpp,
// test_pretrain.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.hpp"
#include "model/model_config.hpp"
#include "train/random.hpp"

namespace invforecast::train::testing {

inline ModelConfig small_config() {
  ModelConfig c;
  c.context_length = 28;
  c.patch_length = 7;
  c.stride = 7;
  c.padding = PaddingMode::None;
  c.d_model = 16;
  c.heads = 2;
  c.ffn_dim = 32;
  c.layers = 1;
  c.horizon = 7;
  c.quantiles = {0.1, 0.5, 0.9};
  return c;
}

// Two layers, end padding, 4 tokens: the gradient checks' model.
inline ModelConfig tiny_config() {
  ModelConfig c;
  c.context_length = 16;
  c.patch_length = 4;
  c.stride = 4;
  c.padding = PaddingMode::ReplicateEnd;
  c.d_model = 8;
  c.heads = 2;
  c.ffn_dim = 16;
  c.layers = 2;
  c.horizon = 3;
  c.quantiles = {0.1, 0.5, 0.9};
  return c;
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
// plus uniform noise of +-10% of the level; levels from 5 to 60.
inline Dataset weekly_dataset(int series, int days, uint64_t seed, double amplitude = 0.6) {
  Random random(seed);
  Dataset d;
  for (int s = 0; s < series; ++s) {
    const double level = 5.0 + 55.0 * random.uniform();
    const double phase = static_cast<double>(random.below(7));
    std::vector<double> values(static_cast<size_t>(days));
    for (int t = 0; t < days; ++t) {
      const double season = 1.0 + amplitude * std::sin(2.0 * std::numbers::pi * (t + phase) / 7.0);
      values[static_cast<size_t>(t)] =
          std::max(0.0, level * season + level * random.uniform(-0.1, 0.1));
    }
    d.series.push_back(make_series("s" + std::to_string(s), std::move(values)));
  }
  return d;
}

}  // namespace invforecast::train::testing
