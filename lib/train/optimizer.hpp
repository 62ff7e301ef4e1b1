// AdamW, global gradient-norm clipping and the learning-rate schedule.
//
// AdamW (Loshchilov & Hutter, decoupled weight decay), step t = 1, 2, ...:
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   p = p - lr * wd * p                                  (decay, not through m/v)
//   p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Weight decay applies to the linear layers' weight matrices only (rank-2
// tensors named *.weight); biases, LayerNorm and RevIN gains and the
// positional embedding are not decayed.
#pragma once

#include <cstdint>
#include <vector>

#include "train/parameters.hpp"

namespace invforecast::train {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

class AdamW {
 public:
  // Moments start at zero, shaped like params.  frozen (empty, or one flag
  // per tensor) marks tensors that step() leaves untouched.
  AdamW(const Parameters& params, AdamWOptions options, std::vector<bool> frozen = {});

  // One update with learning rate lr; grads must have the params' config
  // (Error(InvalidArgument) otherwise).
  void step(Parameters& params, const Parameters& grads, double lr);
  int64_t steps() const { return steps_; }
  const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
  int64_t steps_ = 0;
  Parameters m_, v_;
  std::vector<bool> decayed_, frozen_;
};

// sqrt of the sum of squares of every gradient (accumulated in double).
double global_grad_norm(const Parameters& grads);
// Scales every gradient by max_norm / norm when norm > max_norm (max_norm > 0;
// <= 0 disables clipping).  Returns the norm before clipping.
double clip_grad_norm(Parameters& grads, double max_norm);

// Linear warm-up from base_lr / warmup_steps to base_lr over the first
// warmup_steps steps, then cosine decay to min_lr at total_steps (and min_lr
// after).  step counts from 0.
struct LrSchedule {
  double base_lr = 1e-3;
  double min_lr = 1e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double at(int64_t step) const;
};

}  // namespace invforecast::train
