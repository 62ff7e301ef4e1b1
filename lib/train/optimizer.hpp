// AdamW, global gradient-norm clipping and the learning-rate schedule.
//
// AdamW (Loshchilov & Hutter, decoupled weight decay), step t = 1, 2, ...:
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   p = p - lr * wd * p                                  (decay, not through m/v)
//   p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Over a model's Parameters, weight decay applies to the linear layers'
// weight matrices only (rank-2 tensors named *.weight); biases, LayerNorm and
// RevIN gains and the positional embedding are not decayed.  The optimiser
// also runs over any other list of tensors (a LoRA adapter's factors), each
// described by an AdamWTensor.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "train/parameters.hpp"

namespace invforecast::train {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

// One tensor the optimiser updates.
struct AdamWTensor {
  std::string name;  // for error messages
  size_t size = 0;   // number of scalars
  bool decayed = false;
  bool frozen = false;  // left untouched by step()
};

// The optimiser's whole state, for checkpoints: moments per tensor and the
// number of steps taken.
struct AdamWState {
  int64_t steps = 0;
  std::vector<std::vector<float>> m, v;
};

class AdamW {
 public:
  // Over a model's parameters: moments start at zero, shaped like params.
  // frozen (empty, or one flag per tensor) marks tensors that step() leaves
  // untouched.
  AdamW(const Parameters& params, AdamWOptions options, std::vector<bool> frozen = {});
  // Over any list of tensors.
  AdamW(std::vector<AdamWTensor> tensors, AdamWOptions options);

  // One update with learning rate lr; grads must have the params' config
  // (Error(InvalidArgument) otherwise).
  void step(Parameters& params, const Parameters& grads, double lr);
  // The same over the tensors given at construction, in that order
  // (Error(InvalidArgument) when a count or size differs).
  void step(std::span<const std::span<float>> params, std::span<const std::span<const float>> grads,
            double lr);

  int64_t steps() const { return state_.steps; }
  const AdamWOptions& options() const { return options_; }
  const std::vector<AdamWTensor>& tensors() const { return tensors_; }
  const AdamWState& state() const { return state_; }
  // Replaces the state (a resumed run); Error(InvalidArgument) unless the
  // moments have this optimiser's tensor sizes and steps >= 0.
  void restore(AdamWState state);

 private:
  AdamWOptions options_;
  std::vector<AdamWTensor> tensors_;
  AdamWState state_;
};

// sqrt of the sum of squares of every gradient (accumulated in double).
double global_grad_norm(const Parameters& grads);
double global_grad_norm(std::span<const std::span<float>> grads);
// Scales every gradient by max_norm / norm when norm > max_norm (max_norm > 0;
// <= 0 disables clipping).  Returns the norm before clipping.
double clip_grad_norm(Parameters& grads, double max_norm);
double clip_grad_norm(std::span<const std::span<float>> grads, double max_norm);

// Views of every tensor of a parameter set, in order.
std::vector<std::span<float>> tensor_spans(Parameters& params);
std::vector<std::span<const float>> tensor_spans(const Parameters& params);

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
