#include "model/model_config.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "error.hpp"

namespace invforecast {

namespace {

using nlohmann::json;

[[noreturn]] void corrupt_config(const std::string& what) { fail(ErrorCode::CorruptModel, "model config: {}", what); }

void check_range(std::string_view field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi)
    fail(ErrorCode::CorruptModel, "model config: {} = {} is outside [{}, {}]", field, value, lo, hi);
}

const json& require(const json& object, const char* key, const char* where) {
  auto it = object.find(key);
  if (it == object.end()) fail(ErrorCode::CorruptModel, "model metadata: missing field '{}{}'", where, key);
  return *it;
}

int64_t require_int(const json& object, const char* key, const char* where) {
  const json& value = require(object, key, where);
  if (!value.is_number_integer())
    fail(ErrorCode::CorruptModel, "model metadata: field '{}{}' must be an integer", where, key);
  // Unsigned values beyond int64 would wrap: treat them as out of range.
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    fail(ErrorCode::CorruptModel, "model metadata: field '{}{}' is too large", where, key);
  return value.get<int64_t>();
}

double require_double(const json& object, const char* key, const char* where) {
  const json& value = require(object, key, where);
  if (!value.is_number()) fail(ErrorCode::CorruptModel, "model metadata: field '{}{}' must be a number", where, key);
  return value.get<double>();
}

bool require_bool(const json& object, const char* key, const char* where) {
  const json& value = require(object, key, where);
  if (!value.is_boolean())
    fail(ErrorCode::CorruptModel, "model metadata: field '{}{}' must be true or false", where, key);
  return value.get<bool>();
}

const std::string& require_string(const json& object, const char* key, const char* where) {
  const json& value = require(object, key, where);
  if (!value.is_string()) fail(ErrorCode::CorruptModel, "model metadata: field '{}{}' must be a string", where, key);
  return value.get_ref<const std::string&>();
}

const json& require_object(const json& object, const char* key, const char* where) {
  const json& value = require(object, key, where);
  if (!value.is_object()) fail(ErrorCode::CorruptModel, "model metadata: field '{}{}' must be an object", where, key);
  return value;
}

// Maps a string field onto an enum through to_string(), listing the accepted names on failure.
template <typename Enum, size_t N>
Enum require_enum(const json& object, const char* key, const char* where, const Enum (&values)[N]) {
  const std::string& text = require_string(object, key, where);
  std::string accepted;
  for (Enum value : values) {
    if (to_string(value) == text) return value;
    accepted += accepted.empty() ? "" : ", ";
    accepted += to_string(value);
  }
  fail(ErrorCode::CorruptModel, "model metadata: field '{}{}' has unknown value '{}' (accepted: {})", where, key, text,
       accepted);
}

constexpr PaddingMode kPaddingModes[] = {PaddingMode::None, PaddingMode::ReplicateEnd};
constexpr NormKind kNormKinds[] = {NormKind::Revin, NormKind::MeanAbs};
constexpr QuantileHead kQuantileHeads[] = {QuantileHead::MedianSoftplus};
constexpr HeadKind kHeadKinds[] = {HeadKind::Quantile, HeadKind::NegBin};
constexpr FeatureRole kFeatureRoles[] = {FeatureRole::Target, FeatureRole::PastCovariate, FeatureRole::FutureCovariate,
                                         FeatureRole::StaticCovariate};
constexpr FeatureKind kFeatureKinds[] = {FeatureKind::Real, FeatureKind::Categorical};
constexpr FeatureSource kFeatureSources[] = {FeatureSource::Column, FeatureSource::Calendar};

bool has_covariates(const std::vector<FeatureSpec>& features) {
  return std::any_of(features.begin(), features.end(),
                     [](const FeatureSpec& f) { return f.role != FeatureRole::Target; });
}

bool is_calendar_name(std::string_view name) {
  return std::find(std::begin(kCalendarFeatures), std::end(kCalendarFeatures), name) !=
         std::end(kCalendarFeatures);
}

constexpr const char* kActivation = "gelu";

}  // namespace

std::string_view to_string(PaddingMode mode) {
  switch (mode) {
    case PaddingMode::None: return "none";
    case PaddingMode::ReplicateEnd: return "replicate_end";
  }
  return "?";
}

std::string_view to_string(NormKind kind) {
  switch (kind) {
    case NormKind::Revin: return "revin";
    case NormKind::MeanAbs: return "meanabs";
  }
  return "?";
}

std::string_view to_string(QuantileHead head) {
  switch (head) {
    case QuantileHead::MedianSoftplus: return "median_softplus";
  }
  return "?";
}

std::string_view to_string(HeadKind head) {
  switch (head) {
    case HeadKind::Quantile: return "quantile";
    case HeadKind::NegBin: return "negbin";
  }
  return "?";
}

std::string_view to_string(FeatureRole role) {
  switch (role) {
    case FeatureRole::Target: return "target";
    case FeatureRole::PastCovariate: return "past_covariate";
    case FeatureRole::FutureCovariate: return "future_covariate";
    case FeatureRole::StaticCovariate: return "static_covariate";
  }
  return "?";
}

std::string_view to_string(TrainingObjective objective) {
  switch (objective) {
    case TrainingObjective::Forecast: return "forecast";
    case TrainingObjective::MaskedPatch: return "masked_patch";
  }
  return "?";
}

std::string_view to_string(FeatureSource source) {
  switch (source) {
    case FeatureSource::Column: return "column";
    case FeatureSource::Calendar: return "calendar";
  }
  return "?";
}

std::string_view to_string(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::Real: return "real";
    case FeatureKind::Categorical: return "categorical";
  }
  return "?";
}

int64_t ModelConfig::num_tokens() const {
  const int64_t padded = padding == PaddingMode::ReplicateEnd ? context_length + stride : context_length;
  return (padded - patch_length) / stride + 1;
}

int64_t ModelConfig::median_quantile_index() const {
  int64_t best = 0;
  for (size_t i = 1; i < quantiles.size(); ++i)
    if (std::abs(quantiles[i] - 0.5) < std::abs(quantiles[best] - 0.5)) best = static_cast<int64_t>(i);
  return best;
}

void validate_config(const ModelConfig& c) {
  using L = ConfigLimits;
  check_range("context_length", c.context_length, 1, L::max_context_length);
  check_range("patch_length", c.patch_length, 1, c.context_length);
  check_range("stride", c.stride, 1, c.patch_length);
  if (c.padding == PaddingMode::None && (c.context_length - c.patch_length) % c.stride != 0)
    corrupt_config(
        fmt::format("context_length - patch_length = {} must be a multiple of stride {} when padding is none "
                    "(otherwise the latest values would be dropped)",
                    c.context_length - c.patch_length, c.stride));
  check_range("tokens", c.num_tokens(), 1, L::max_tokens);
  check_range("d_model", c.d_model, 1, L::max_d_model);
  check_range("heads", c.heads, 1, L::max_heads);
  if (c.d_model % c.heads != 0)
    corrupt_config(fmt::format("d_model {} is not divisible by heads {}", c.d_model, c.heads));
  check_range("ffn_dim", c.ffn_dim, 1, L::max_ffn_dim);
  check_range("layers", c.layers, 1, L::max_layers);
  check_range("horizon", c.horizon, 1, L::max_horizon);
  check_range("number of quantiles", c.num_quantiles(), 1, L::max_quantiles);
  for (size_t i = 0; i < c.quantiles.size(); ++i) {
    const double q = c.quantiles[i];
    if (!(q > 0.0 && q < 1.0)) corrupt_config(fmt::format("quantile level {} is not inside (0, 1)", q));
    if (i > 0 && !(q > c.quantiles[i - 1]))
      corrupt_config(fmt::format("quantile levels must be strictly increasing ({} after {})", q, c.quantiles[i - 1]));
  }
  if (!(c.norm_eps > 0.0 && c.norm_eps < 1.0))
    corrupt_config(fmt::format("norm_eps {} is not inside (0, 1)", c.norm_eps));
  if (!(c.layer_norm_eps > 0.0 && c.layer_norm_eps < 1.0))
    corrupt_config(fmt::format("layer_norm_eps {} is not inside (0, 1)", c.layer_norm_eps));
  if (c.normalization == NormKind::MeanAbs && c.revin_affine)
    corrupt_config("revin_affine applies only to normalization 'revin'");
  check_range("embedding_dim", c.embedding_dim, 1, L::max_embedding_dim);
  check_range("decoder_dim", c.decoder_dim, 1, L::max_decoder_dim);
}

std::vector<FeatureSpec> target_features() { return ModelMetadata{}.features; }

void validate_features(const std::vector<FeatureSpec>& features) {
  if (features.empty()) fail(ErrorCode::CorruptModel, "model features: the list is empty (the target is required)");
  if (features.size() > static_cast<size_t>(ConfigLimits::max_features))
    fail(ErrorCode::CorruptModel, "model features: {} features, at most {}", features.size(),
         ConfigLimits::max_features);
  std::set<std::string_view> names;
  int targets = 0;
  for (const FeatureSpec& f : features) {
    if (f.name.empty()) fail(ErrorCode::CorruptModel, "model features: a feature has an empty name");
    if (!names.insert(f.name).second) fail(ErrorCode::CorruptModel, "model features: '{}' appears twice", f.name);
    if (f.role == FeatureRole::Target) {
      ++targets;
      if (f.kind != FeatureKind::Real || f.source != FeatureSource::Column)
        fail(ErrorCode::CorruptModel, "model features: target '{}' must be a real column", f.name);
      continue;
    }
    if (f.source == FeatureSource::Calendar &&
        (!is_calendar_name(f.name) || f.role != FeatureRole::FutureCovariate))
      fail(ErrorCode::CorruptModel,
           "model features: calendar feature '{}' is not one of day_of_week, day_of_month, month, "
           "week_of_year with role future_covariate",
           f.name);
    if (f.kind == FeatureKind::Real) {
      if (!(std::isfinite(f.mean) && std::isfinite(f.scale) && f.scale > 0.0))
        fail(ErrorCode::CorruptModel,
             "model features: '{}' needs a finite mean and a positive scale (got {} and {})",
             f.name, f.mean, f.scale);
      if (!f.levels.empty())
        fail(ErrorCode::CorruptModel, "model features: real feature '{}' has levels", f.name);
    } else {
      if (f.levels.empty() || f.levels.size() > static_cast<size_t>(ConfigLimits::max_levels))
        fail(ErrorCode::CorruptModel, "model features: categorical '{}' has {} levels (1 to {})",
             f.name, f.levels.size(), ConfigLimits::max_levels);
      if (std::set<std::string_view>(f.levels.begin(), f.levels.end()).size() != f.levels.size())
        fail(ErrorCode::CorruptModel, "model features: categorical '{}' repeats a level", f.name);
    }
    if (f.log_ratio && (f.kind != FeatureKind::Real || f.role == FeatureRole::StaticCovariate))
      fail(ErrorCode::CorruptModel,
           "model features: log_ratio applies to time-varying real features only ('{}')", f.name);
  }
  if (targets != 1) fail(ErrorCode::CorruptModel, "model features: {} targets, exactly one is required", targets);
}

CovariateLayout covariate_layout(const ModelConfig& config, const std::vector<FeatureSpec>& features) {
  CovariateLayout l;
  l.embedding_dim = config.embedding_dim;
  for (size_t i = 0; i < features.size(); ++i) {
    const FeatureSpec& f = features[i];
    const bool real = f.kind == FeatureKind::Real;
    const int64_t width = f.log_ratio ? 2 : 1;
    switch (f.role) {
      case FeatureRole::Target: break;
      case FeatureRole::FutureCovariate:
        (real ? l.known_real : l.known_categorical).push_back(i);
        if (real) l.known_real_channels += width;
        break;
      case FeatureRole::PastCovariate:
        (real ? l.past_real : l.past_categorical).push_back(i);
        if (real) l.past_real_channels += width;
        break;
      case FeatureRole::StaticCovariate: (real ? l.static_real : l.static_categorical).push_back(i); break;
    }
  }
  return l;
}

std::string metadata_to_json(const ModelMetadata& m) {
  const ModelConfig& c = m.config;
  json config = {
      {"architecture", kForecastArchitecture},
      {"context_length", c.context_length},
      {"patch_length", c.patch_length},
      {"stride", c.stride},
      {"padding", to_string(c.padding)},
      {"d_model", c.d_model},
      {"heads", c.heads},
      {"ffn_dim", c.ffn_dim},
      {"activation", kActivation},
      {"layers", c.layers},
      {"horizon", c.horizon},
      {"quantiles", c.quantiles},
      {"quantile_head", to_string(c.quantile_head)},
      {"layer_norm_eps", c.layer_norm_eps},
      {"normalization", {{"kind", to_string(c.normalization)}, {"affine", c.revin_affine}, {"eps", c.norm_eps}}},
  };
  // A quantile model keeps the bytes of files written before the negbin head.
  if (c.head != HeadKind::Quantile) config["head"] = to_string(c.head);
  // A model of the target alone keeps the bytes of files written before covariates.
  if (has_covariates(m.features)) {
    config["embedding_dim"] = c.embedding_dim;
    config["decoder_dim"] = c.decoder_dim;
  }
  json features = json::array();
  for (const FeatureSpec& f : m.features) {
    json feature = {{"name", f.name}, {"kind", to_string(f.kind)}, {"role", to_string(f.role)}};
    if (f.role != FeatureRole::Target) {
      feature["source"] = to_string(f.source);
      if (f.kind == FeatureKind::Real) {
        feature["mean"] = f.mean;
        feature["scale"] = f.scale;
        feature["log_ratio"] = f.log_ratio;
      } else {
        feature["levels"] = f.levels;
      }
    }
    features.push_back(std::move(feature));
  }
  json provenance = json::object();
  for (const auto& [key, value] : m.provenance) provenance[key] = value;
  // The typed objective wins over a provenance entry; the default (forecast) is written only where
  // an entry was given, so files from before the field keep their bytes.
  if (m.objective != TrainingObjective::Forecast || m.provenance.count("objective"))
    provenance["objective"] = to_string(m.objective);
  // nlohmann::json keeps object keys sorted, so the text is deterministic.
  return json{{"config", config}, {"features", features}, {"provenance", provenance}}.dump();
}

ModelMetadata metadata_from_json(std::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail(ErrorCode::CorruptModel, "model metadata is not valid JSON: {}", e.what());
  }
  if (!root.is_object()) fail(ErrorCode::CorruptModel, "model metadata is not a JSON object");

  ModelMetadata m;
  const json& cj = require_object(root, "config", "");
  const char* at = "config.";
  const std::string& architecture = require_string(cj, "architecture", at);
  if (architecture == kTextEncoderArchitecture)
    fail(ErrorCode::InvalidArgument,
         "this is a text-encoder model file (architecture '{}'), not a forecast model: load it as a text model",
         architecture);
  if (architecture != kForecastArchitecture)
    fail(ErrorCode::CorruptModel, "model metadata: architecture '{}' is not '{}'", architecture,
         kForecastArchitecture);
  if (require_string(cj, "activation", at) != kActivation)
    fail(ErrorCode::CorruptModel, "model metadata: activation '{}' is not '{}'", require_string(cj, "activation", at),
         kActivation);
  ModelConfig& c = m.config;
  c.context_length = require_int(cj, "context_length", at);
  c.patch_length = require_int(cj, "patch_length", at);
  c.stride = require_int(cj, "stride", at);
  c.padding = require_enum(cj, "padding", at, kPaddingModes);
  c.d_model = require_int(cj, "d_model", at);
  c.heads = require_int(cj, "heads", at);
  c.ffn_dim = require_int(cj, "ffn_dim", at);
  c.layers = require_int(cj, "layers", at);
  c.horizon = require_int(cj, "horizon", at);
  c.quantile_head = require_enum(cj, "quantile_head", at, kQuantileHeads);
  c.layer_norm_eps = require_double(cj, "layer_norm_eps", at);

  const json& qj = require(cj, "quantiles", at);
  if (!qj.is_array()) fail(ErrorCode::CorruptModel, "model metadata: field 'config.quantiles' must be an array");
  if (qj.size() > static_cast<size_t>(ConfigLimits::max_quantiles))
    fail(ErrorCode::CorruptModel, "model metadata: {} quantile levels, at most {}", qj.size(),
         ConfigLimits::max_quantiles);
  c.quantiles.clear();
  for (const json& q : qj) {
    if (!q.is_number()) fail(ErrorCode::CorruptModel, "model metadata: quantile levels must be numbers");
    c.quantiles.push_back(q.get<double>());
  }

  const json& nj = require_object(cj, "normalization", at);
  c.normalization = require_enum(nj, "kind", "config.normalization.", kNormKinds);
  c.revin_affine = require_bool(nj, "affine", "config.normalization.");
  c.norm_eps = require_double(nj, "eps", "config.normalization.");
  if (cj.contains("head")) c.head = require_enum(cj, "head", at, kHeadKinds);
  if (cj.contains("embedding_dim")) c.embedding_dim = require_int(cj, "embedding_dim", at);
  if (cj.contains("decoder_dim")) c.decoder_dim = require_int(cj, "decoder_dim", at);
  validate_config(c);

  const json& fj = require(root, "features", "");
  if (!fj.is_array()) fail(ErrorCode::CorruptModel, "model metadata: field 'features' must be an array");
  m.features.clear();
  for (const json& f : fj) {
    if (!f.is_object()) fail(ErrorCode::CorruptModel, "model metadata: each feature must be an object");
    const char* fat = "features[].";
    FeatureSpec spec;
    spec.name = require_string(f, "name", fat);
    spec.kind = require_enum(f, "kind", fat, kFeatureKinds);
    spec.role = require_enum(f, "role", fat, kFeatureRoles);
    if (spec.role != FeatureRole::Target) {
      spec.source = require_enum(f, "source", fat, kFeatureSources);
      if (spec.kind == FeatureKind::Real) {
        spec.mean = require_double(f, "mean", fat);
        spec.scale = require_double(f, "scale", fat);
        spec.log_ratio = require_bool(f, "log_ratio", fat);
      } else {
        const json& levels = require(f, "levels", fat);
        if (!levels.is_array())
          fail(ErrorCode::CorruptModel, "model metadata: levels of feature '{}' must be an array", spec.name);
        if (levels.size() > static_cast<size_t>(ConfigLimits::max_levels))
          fail(ErrorCode::CorruptModel, "model metadata: feature '{}' has {} levels, at most {}", spec.name,
               levels.size(), ConfigLimits::max_levels);
        for (const json& level : levels) {
          if (!level.is_string())
            fail(ErrorCode::CorruptModel, "model metadata: levels of feature '{}' must be strings", spec.name);
          spec.levels.push_back(level.get<std::string>());
        }
      }
    }
    m.features.push_back(std::move(spec));
  }
  validate_features(m.features);

  const json& pj = require_object(root, "provenance", "");
  for (const auto& [key, value] : pj.items()) {
    if (!value.is_string())
      fail(ErrorCode::CorruptModel, "model metadata: provenance field '{}' must be a string", key);
    m.provenance.emplace(key, value.get<std::string>());
  }
  if (const auto objective = m.provenance.find("objective"); objective != m.provenance.end()) {
    if (objective->second == "forecast")
      m.objective = TrainingObjective::Forecast;
    else if (objective->second == "masked_patch")
      m.objective = TrainingObjective::MaskedPatch;
    else
      fail(ErrorCode::CorruptModel,
           "model metadata: provenance objective '{}' is neither forecast nor masked_patch",
           objective->second);
  }
  return m;
}

std::vector<TensorSpec> expected_tensors(const ModelConfig& c) {
  const int64_t D = c.d_model, P = c.patch_length, N = c.num_tokens(), F = c.ffn_dim;
  const int64_t outputs = c.horizon * c.head_step_outputs();
  std::vector<TensorSpec> specs;
  if (c.normalization == NormKind::Revin && c.revin_affine) {
    specs.push_back({"revin.weight", {1}});
    specs.push_back({"revin.bias", {1}});
  }
  specs.push_back({"patch_embed.weight", {D, P}});
  specs.push_back({"patch_embed.bias", {D}});
  specs.push_back({"pos_embed", {N, D}});
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = fmt::format("layers.{}.", i);
    specs.push_back({p + "ln1.weight", {D}});
    specs.push_back({p + "ln1.bias", {D}});
    specs.push_back({p + "attn.qkv.weight", {3 * D, D}});
    specs.push_back({p + "attn.qkv.bias", {3 * D}});
    specs.push_back({p + "attn.out.weight", {D, D}});
    specs.push_back({p + "attn.out.bias", {D}});
    specs.push_back({p + "ln2.weight", {D}});
    specs.push_back({p + "ln2.bias", {D}});
    specs.push_back({p + "ffn1.weight", {F, D}});
    specs.push_back({p + "ffn1.bias", {F}});
    specs.push_back({p + "ffn2.weight", {D, F}});
    specs.push_back({p + "ffn2.bias", {D}});
  }
  specs.push_back({"final_ln.weight", {D}});
  specs.push_back({"final_ln.bias", {D}});
  specs.push_back({"head.weight", {outputs, N * D}});
  specs.push_back({"head.bias", {outputs}});
  return specs;
}

std::vector<TensorSpec> expected_tensors(const ModelConfig& c, const std::vector<FeatureSpec>& features) {
  std::vector<TensorSpec> specs = expected_tensors(c);
  const CovariateLayout l = covariate_layout(c, features);
  if (l.empty()) return specs;
  const int64_t D = c.d_model, P = c.patch_length, E = c.embedding_dim, Fd = c.decoder_dim;
  for (size_t i = 0; i < features.size(); ++i)
    if (features[i].role != FeatureRole::Target && features[i].kind == FeatureKind::Categorical)
      specs.push_back({fmt::format("features.{}.embedding", i),
                       {static_cast<int64_t>(features[i].levels.size()) + 1, E}});
  const int64_t C = l.channels(), K = l.known_channels(), S = l.static_width();
  if (K == 0)
    fail(ErrorCode::CorruptModel,
         "model features: a model with covariates needs a known-future one (the calendar)");
  if (C > 0) specs.push_back({"covariates.patch.weight", {D, C * P}});
  if (S > 0) {
    specs.push_back({"covariates.static.weight", {D, S}});
    specs.push_back({"covariates.static.bias", {D}});
  }
  if (K > 0) specs.push_back({"decoder.known.weight", {Fd, K}});
  specs.push_back({"decoder.series.weight", {Fd, D + S}});
  specs.push_back({"decoder.series.bias", {Fd}});
  specs.push_back({"decoder.out.weight", {c.head_step_outputs(), Fd}});
  specs.push_back({"decoder.out.bias", {c.head_step_outputs()}});
  return specs;
}

std::vector<TensorSpec> expected_tensors(const ModelMetadata& metadata) {
  return expected_tensors(metadata.config, metadata.features);
}

}  // namespace invforecast
