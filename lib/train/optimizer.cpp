#include "train/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "core/error.hpp"

namespace invforecast::train {

namespace {

bool same_shape(const Parameters& a, const Parameters& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a.specs()[i].name != b.specs()[i].name || a.values(i).size() != b.values(i).size())
      return false;
  return true;
}

}  // namespace

AdamW::AdamW(const Parameters& params, AdamWOptions options, std::vector<bool> frozen)
    : options_(options), m_(params.config()), v_(params.config()), frozen_(std::move(frozen)) {
  if (frozen_.empty()) frozen_.assign(params.size(), false);
  if (frozen_.size() != params.size())
    fail(ErrorCode::InvalidArgument, "AdamW: {} frozen flags for {} tensors", frozen_.size(),
         params.size());
  if (!(options.beta1 >= 0.0 && options.beta1 < 1.0) ||
      !(options.beta2 >= 0.0 && options.beta2 < 1.0))
    fail(ErrorCode::InvalidArgument, "AdamW: betas must be in [0, 1), got {} and {}", options.beta1,
         options.beta2);
  if (!(options.eps > 0.0) || !(options.weight_decay >= 0.0))
    fail(ErrorCode::InvalidArgument, "AdamW: eps must be > 0 and weight_decay >= 0, got {} and {}",
         options.eps, options.weight_decay);
  for (const TensorSpec& spec : params.specs()) {
    const bool weight = spec.name.size() > 7 && spec.name.ends_with(".weight");
    decayed_.push_back(weight && spec.dims.size() == 2);
  }
}

void AdamW::step(Parameters& params, const Parameters& grads, double lr) {
  if (!same_shape(params, m_) || !same_shape(grads, m_))
    fail(ErrorCode::InvalidArgument,
         "AdamW: parameters or gradients of another model configuration");
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double correction1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double correction2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  for (size_t t = 0; t < params.size(); ++t) {
    if (frozen_[t]) continue;
    std::vector<float>& p = params.values(t);
    const std::vector<float>& g = grads.values(t);
    std::vector<float>& m = m_.values(t);
    std::vector<float>& v = v_.values(t);
    const double decay = decayed_[t] ? lr * options_.weight_decay : 0.0;
    for (size_t i = 0; i < p.size(); ++i) {
      const double gi = g[i];
      const double mi = b1 * m[i] + (1.0 - b1) * gi;
      const double vi = b2 * v[i] + (1.0 - b2) * gi * gi;
      m[i] = static_cast<float>(mi);
      v[i] = static_cast<float>(vi);
      double pi = p[i];
      pi -= decay * pi;
      pi -= lr * (mi / correction1) / (std::sqrt(vi / correction2) + options_.eps);
      p[i] = static_cast<float>(pi);
    }
  }
}

double global_grad_norm(const Parameters& grads) {
  double sum = 0.0;
  for (size_t t = 0; t < grads.size(); ++t)
    for (float g : grads.values(t)) sum += static_cast<double>(g) * g;
  return std::sqrt(sum);
}

double clip_grad_norm(Parameters& grads, double max_norm) {
  const double norm = global_grad_norm(grads);
  if (max_norm > 0.0 && norm > max_norm) {
    const double scale = max_norm / norm;
    for (size_t t = 0; t < grads.size(); ++t)
      for (float& g : grads.values(t)) g = static_cast<float>(g * scale);
  }
  return norm;
}

double LrSchedule::at(int64_t step) const {
  if (step < warmup_steps)
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const int64_t decay_steps = total_steps - warmup_steps;
  if (decay_steps <= 0 || step >= total_steps) return min_lr;
  const double progress =
      static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps);
  return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace invforecast::train
