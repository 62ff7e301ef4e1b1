// The encoder's trainable parameters as owned, mutable tensors: the same
// names, shapes and order as a model file (expected_tensors(config,
// features): the encoder's, then its covariates' when it has some), so a
// parameter set is written as a model file and initialised from one without
// any mapping.  Gradients and optimiser moments use the same structure.
//
// Templated on the scalar type: training runs in float; the gradient tests
// run the reference path in double (ParameterSet<double>).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/model_file.hpp"

namespace invforecast::train {

template <class T>
class ParameterSet {
 public:
  ParameterSet() = default;
  // Every tensor of expected_tensors(config, features), zero-filled.
  // Validates config and features.  The default: the target alone.
  explicit ParameterSet(const ModelConfig& config,
                        std::vector<FeatureSpec> features = target_features());

  const ModelConfig& config() const { return config_; }
  const std::vector<FeatureSpec>& features() const { return features_; }
  const std::vector<TensorSpec>& specs() const { return specs_; }
  size_t size() const { return specs_.size(); }
  // Total number of scalars over all tensors.
  size_t count() const;

  std::vector<T>& values(size_t index) { return values_[index]; }
  const std::vector<T>& values(size_t index) const { return values_[index]; }
  // Throws Error(InvalidArgument) when there is no such tensor.
  std::vector<T>& values(std::string_view name) { return values_[index_of(name)]; }
  const std::vector<T>& values(std::string_view name) const { return values_[index_of(name)]; }
  T* data(std::string_view name) { return values(name).data(); }
  const T* data(std::string_view name) const { return values(name).data(); }
  size_t index_of(std::string_view name) const;

  void set_zero();
  // Same config and features, values converted to U.
  template <class U>
  ParameterSet<U> cast() const {
    ParameterSet<U> out(config_, features_);
    for (size_t i = 0; i < values_.size(); ++i)
      for (size_t j = 0; j < values_[i].size(); ++j)
        out.values(i)[j] = static_cast<U>(values_[i][j]);
    return out;
  }

 private:
  ModelConfig config_;
  std::vector<FeatureSpec> features_;
  std::vector<TensorSpec> specs_;
  std::vector<std::vector<T>> values_;
};

using Parameters = ParameterSet<float>;

// Initial weights, deterministic for a seed (own PRNG, see random.hpp):
// linear weights uniform in +-1/sqrt(fan_in) (PyTorch's nn.Linear bound),
// biases 0, LayerNorm and RevIN gains 1, positional embedding uniform in
// +-0.02, the head's and the covariate decoder's output weights scaled down
// 10x so that training starts from near-constant quantiles; embedding
// tables uniform in +-1/sqrt(embedding_dim).  The encoder's tensors come
// first, so a covariate model's encoder starts where the target-only
// model of the same seed does.
Parameters initialize_parameters(const ModelConfig& config, uint64_t seed,
                                 const std::vector<FeatureSpec>& features = target_features());

// Copies every tensor of a loaded model file.
Parameters parameters_from_model(const ModelFile& file);

// Views of the tensors in file order, for write_model_buffer / write_model_file.
std::vector<NamedTensor> named_tensors(const Parameters& parameters);
std::vector<uint8_t> to_model_buffer(const Parameters& parameters, const ModelMetadata& metadata);
void write_model(const std::string& path, const Parameters& parameters,
                 const ModelMetadata& metadata);
// Metadata holding the parameters' config and features (no provenance).
ModelMetadata default_metadata(const Parameters& parameters);

}  // namespace invforecast::train
