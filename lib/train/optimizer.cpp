#include "train/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "error.hpp"

namespace invforecast::train {

namespace {

std::vector<AdamWTensor> parameter_tensors(const Parameters& params, std::vector<bool> frozen) {
  if (frozen.empty()) frozen.assign(params.size(), false);
  if (frozen.size() != params.size())
    fail(ErrorCode::InvalidArgument, "AdamW: {} frozen flags for {} tensors", frozen.size(),
         params.size());
  std::vector<AdamWTensor> tensors;
  tensors.reserve(params.size());
  for (size_t t = 0; t < params.size(); ++t) {
    const TensorSpec& spec = params.specs()[t];
    const bool weight = spec.name.size() > 7 && spec.name.ends_with(".weight");
    tensors.push_back(AdamWTensor{spec.name, params.values(t).size(),
                                  weight && spec.dims.size() == 2, frozen[t]});
  }
  return tensors;
}

}  // namespace

AdamW::AdamW(const Parameters& params, AdamWOptions options, std::vector<bool> frozen)
    : AdamW(parameter_tensors(params, std::move(frozen)), options) {}

AdamW::AdamW(std::vector<AdamWTensor> tensors, AdamWOptions options)
    : options_(options), tensors_(std::move(tensors)) {
  if (!(options.beta1 >= 0.0 && options.beta1 < 1.0) ||
      !(options.beta2 >= 0.0 && options.beta2 < 1.0))
    fail(ErrorCode::InvalidArgument, "AdamW: betas must be in [0, 1), got {} and {}", options.beta1,
         options.beta2);
  if (!(options.eps > 0.0) || !(options.weight_decay >= 0.0))
    fail(ErrorCode::InvalidArgument, "AdamW: eps must be > 0 and weight_decay >= 0, got {} and {}",
         options.eps, options.weight_decay);
  for (const AdamWTensor& tensor : tensors_) {
    state_.m.emplace_back(tensor.size, 0.0f);
    state_.v.emplace_back(tensor.size, 0.0f);
  }
}

void AdamW::restore(AdamWState state) {
  bool fits =
      state.steps >= 0 && state.m.size() == tensors_.size() && state.v.size() == tensors_.size();
  for (size_t t = 0; fits && t < tensors_.size(); ++t)
    fits = state.m[t].size() == tensors_[t].size && state.v[t].size() == tensors_[t].size;
  if (!fits)
    fail(ErrorCode::InvalidArgument,
         "AdamW: the state to restore does not match the optimiser's {} tensors", tensors_.size());
  state_ = std::move(state);
}

void AdamW::step(Parameters& params, const Parameters& grads, double lr) {
  if (params.size() != tensors_.size() || grads.size() != tensors_.size())
    fail(ErrorCode::InvalidArgument,
         "AdamW: parameters or gradients of another model configuration");
  for (size_t t = 0; t < tensors_.size(); ++t)
    if (params.specs()[t].name != tensors_[t].name || grads.specs()[t].name != tensors_[t].name)
      fail(ErrorCode::InvalidArgument,
           "AdamW: parameters or gradients of another model configuration");
  const std::vector<std::span<float>> p = tensor_spans(params);
  const std::vector<std::span<const float>> g = tensor_spans(grads);
  step(p, g, lr);
}

void AdamW::step(std::span<const std::span<float>> params,
                 std::span<const std::span<const float>> grads, double lr) {
  if (params.size() != tensors_.size() || grads.size() != tensors_.size())
    fail(ErrorCode::InvalidArgument, "AdamW: {} parameter and {} gradient tensors for {}",
         params.size(), grads.size(), tensors_.size());
  for (size_t t = 0; t < tensors_.size(); ++t)
    if (params[t].size() != tensors_[t].size || grads[t].size() != tensors_[t].size)
      fail(ErrorCode::InvalidArgument,
           "AdamW: tensor '{}' has {} values and {} gradients, expected {}", tensors_[t].name,
           params[t].size(), grads[t].size(), tensors_[t].size);
  ++state_.steps;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double correction1 = 1.0 - std::pow(b1, static_cast<double>(state_.steps));
  const double correction2 = 1.0 - std::pow(b2, static_cast<double>(state_.steps));
  for (size_t t = 0; t < tensors_.size(); ++t) {
    if (tensors_[t].frozen) continue;
    const std::span<float> p = params[t];
    const std::span<const float> g = grads[t];
    std::vector<float>& m = state_.m[t];
    std::vector<float>& v = state_.v[t];
    const double decay = tensors_[t].decayed ? lr * options_.weight_decay : 0.0;
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

std::vector<std::span<float>> tensor_spans(Parameters& params) {
  std::vector<std::span<float>> spans;
  spans.reserve(params.size());
  for (size_t t = 0; t < params.size(); ++t) spans.emplace_back(params.values(t));
  return spans;
}

std::vector<std::span<const float>> tensor_spans(const Parameters& params) {
  std::vector<std::span<const float>> spans;
  spans.reserve(params.size());
  for (size_t t = 0; t < params.size(); ++t) spans.emplace_back(params.values(t));
  return spans;
}

double global_grad_norm(std::span<const std::span<float>> grads) {
  double sum = 0.0;
  for (const std::span<float> tensor : grads)
    for (float g : tensor) sum += static_cast<double>(g) * g;
  return std::sqrt(sum);
}

double global_grad_norm(const Parameters& grads) {
  double sum = 0.0;
  for (size_t t = 0; t < grads.size(); ++t)
    for (float g : grads.values(t)) sum += static_cast<double>(g) * g;
  return std::sqrt(sum);
}

double clip_grad_norm(std::span<const std::span<float>> grads, double max_norm) {
  const double norm = global_grad_norm(grads);
  if (max_norm > 0.0 && norm > max_norm) {
    const double scale = max_norm / norm;
    for (const std::span<float> tensor : grads)
      for (float& g : tensor) g = static_cast<float>(g * scale);
  }
  return norm;
}

double clip_grad_norm(Parameters& grads, double max_norm) {
  return clip_grad_norm(tensor_spans(grads), max_norm);
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
