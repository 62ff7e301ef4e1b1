#include "train/parameters.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "train/random.hpp"

namespace invforecast::train {

namespace {

size_t element_count(const TensorSpec& spec) {
  size_t count = 1;
  for (int64_t d : spec.dims) count *= static_cast<size_t>(d);
  return count;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

template <class T>
ParameterSet<T>::ParameterSet(const ModelConfig& config, std::vector<FeatureSpec> features)
    : config_(config), features_(std::move(features)) {
  validate_config(config_);
  validate_features(features_);
  specs_ = expected_tensors(config_, features_);
  values_.reserve(specs_.size());
  for (const TensorSpec& spec : specs_) values_.emplace_back(element_count(spec), T(0));
}

template <class T>
size_t ParameterSet<T>::count() const {
  size_t total = 0;
  for (const auto& v : values_) total += v.size();
  return total;
}

template <class T>
size_t ParameterSet<T>::index_of(std::string_view name) const {
  for (size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].name == name) return i;
  fail(ErrorCode::InvalidArgument, "parameters: no tensor named '{}'", name);
}

template <class T>
void ParameterSet<T>::set_zero() {
  for (auto& v : values_) std::fill(v.begin(), v.end(), T(0));
}

template class ParameterSet<float>;
template class ParameterSet<double>;

Parameters initialize_parameters(const ModelConfig& config, uint64_t seed,
                                 const std::vector<FeatureSpec>& features) {
  Parameters p(config, features);
  Random random(seed);
  for (size_t i = 0; i < p.size(); ++i) {
    const TensorSpec& spec = p.specs()[i];
    std::vector<float>& v = p.values(i);
    const std::string& name = spec.name;
    if (name == "pos_embed") {
      for (float& x : v) x = static_cast<float>(random.uniform(-0.02, 0.02));
    } else if (spec.dims.size() == 2) {
      // Linear weight [out, in], or an embedding table [entries, dim].
      double bound = 1.0 / std::sqrt(static_cast<double>(spec.dims[1]));
      if (name == "head.weight" || name == "decoder.out.weight") bound *= 0.1;
      for (float& x : v) x = static_cast<float>(random.uniform(-bound, bound));
    } else if (ends_with(name, "ln1.weight") || ends_with(name, "ln2.weight") ||
               name == "final_ln.weight" || name == "revin.weight") {
      std::fill(v.begin(), v.end(), 1.0f);
    }
    // Biases stay 0.
  }
  return p;
}

Parameters parameters_from_model(const ModelFile& file) {
  Parameters p(file.config(), file.metadata().features);
  for (size_t i = 0; i < p.size(); ++i) {
    const TensorView& view = file.tensor(p.specs()[i].name);
    if (view.values.size() != p.values(i).size())
      fail(ErrorCode::CorruptModel, "parameters: tensor '{}' holds {} values, expected {}",
           view.name, view.values.size(), p.values(i).size());
    std::copy(view.values.begin(), view.values.end(), p.values(i).begin());
  }
  return p;
}

std::vector<NamedTensor> named_tensors(const Parameters& parameters) {
  std::vector<NamedTensor> tensors;
  tensors.reserve(parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i)
    tensors.push_back(NamedTensor{parameters.specs()[i].name, parameters.specs()[i].dims,
                                  std::span<const float>(parameters.values(i))});
  return tensors;
}

ModelMetadata default_metadata(const Parameters& parameters) {
  ModelMetadata metadata;
  metadata.config = parameters.config();
  metadata.features = parameters.features();
  return metadata;
}

std::vector<uint8_t> to_model_buffer(const Parameters& parameters, const ModelMetadata& metadata) {
  const std::vector<NamedTensor> tensors = named_tensors(parameters);
  return write_model_buffer(metadata, tensors);
}

void write_model(const std::string& path, const Parameters& parameters,
                 const ModelMetadata& metadata) {
  const std::vector<NamedTensor> tensors = named_tensors(parameters);
  write_model_file(path, metadata, tensors);
}

}  // namespace invforecast::train
