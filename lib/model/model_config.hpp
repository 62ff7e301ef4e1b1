// Configuration of the PatchTST-style encoder as stored in a model file, the
// feature schema the model expects, and the canonical list of its parameter
// tensors (names and shapes), which the model file reader checks and the
// encoder implementation binds by name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace invforecast {

// How the context window is cut into patches.
//  None:          tokens = (context - patch) / stride + 1; (context - patch) must be a multiple of stride.
//  ReplicateEnd:  the last value is repeated `stride` times at the end first (PatchTST's padding),
//                 tokens = (context + stride - patch) / stride + 1 (floor); the last real value is
//                 always inside the last patch.
enum class PaddingMode { None, ReplicateEnd };

// Per-series input normalisation, undone on the output.
//  Revin:    x' = (x - mean) / sqrt(var + eps), then x' * revin.weight + revin.bias when affine.
//  MeanAbs:  x' = x / max(mean(|x|), eps); suited to intermittent sales (no centring, no affine).
enum class NormKind { Revin, MeanAbs };

// How the head's H x Q outputs become non-crossing quantiles.
//  MedianSoftplus: with m = median_quantile_index() (the level closest to 0.5), q[m] = r[m], q[j] = q[j-1] + softplus(r[j])
//  for j > m and q[j] = q[j+1] - softplus(r[j]) for j < m (r = raw head output of one horizon step),
//  then the normalisation is undone and the result clipped at zero (sales are non-negative).
enum class QuantileHead { MedianSoftplus };

struct ModelConfig {
  int64_t context_length = 336;
  int64_t patch_length = 16;
  int64_t stride = 8;
  PaddingMode padding = PaddingMode::ReplicateEnd;
  int64_t d_model = 128;
  int64_t heads = 8;
  int64_t ffn_dim = 256;
  int64_t layers = 3;
  int64_t horizon = 28;
  std::vector<double> quantiles = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  NormKind normalization = NormKind::Revin;
  bool revin_affine = true;
  double norm_eps = 1e-5;        // added in the normalisation's denominator
  double layer_norm_eps = 1e-5;  // every LayerNorm
  QuantileHead quantile_head = QuantileHead::MedianSoftplus;
  // The activation of the feed-forward block is GELU in its exact erf form (PyTorch's default);
  // format v1 knows no other.

  // Number of patch tokens for this configuration (validate() first).
  int64_t num_tokens() const;
  int64_t num_quantiles() const { return static_cast<int64_t>(quantiles.size()); }
  // Index of the level closest to 0.5 (the first of two equally close), the head's anchor.
  int64_t median_quantile_index() const;
};

// Bounds on a configuration; anything beyond is treated as a corrupt file, so that a reader never
// sizes buffers from absurd numbers.
struct ConfigLimits {
  static constexpr int64_t max_context_length = 1 << 16;
  static constexpr int64_t max_tokens = 1 << 14;
  static constexpr int64_t max_d_model = 1 << 16;
  static constexpr int64_t max_heads = 1024;
  static constexpr int64_t max_ffn_dim = 1 << 18;
  static constexpr int64_t max_layers = 1024;
  static constexpr int64_t max_horizon = 1 << 14;
  static constexpr int64_t max_quantiles = 99;
};

// Throws Error(CorruptModel) naming the first field that is out of range or inconsistent.
void validate_config(const ModelConfig& config);

// One input the model expects.  Format v1 records covariates already so that they fit later without
// a format change; this library runs models whose only feature is the target.
enum class FeatureRole { Target, PastCovariate, FutureCovariate, StaticCovariate };
enum class FeatureKind { Real, Categorical };

struct FeatureSpec {
  std::string name;
  FeatureKind kind = FeatureKind::Real;
  FeatureRole role = FeatureRole::Target;
  bool operator==(const FeatureSpec&) const = default;
};

// What a model was trained for: forecasting, or self-supervised masked-patch
// reconstruction only (a base for fine-tuning, whose forecast head is untrained).
enum class TrainingObjective { Forecast, MaskedPatch };

// Everything in a model file besides the tensors.
struct ModelMetadata {
  ModelConfig config;
  std::vector<FeatureSpec> features = {FeatureSpec{"target", FeatureKind::Real, FeatureRole::Target}};
  // Stored in format v1 as provenance entry "objective" ("forecast" | "masked_patch"; absent in
  // files written before it: forecast), and read from there into this field.
  TrainingObjective objective = TrainingObjective::Forecast;
  // Free-form training provenance (data set, commit, date, loss, ...), kept verbatim.
  std::map<std::string, std::string> provenance;
};

// Exactly one target, unique non-empty names; throws Error(CorruptModel).
void validate_features(const std::vector<FeatureSpec>& features);

std::string_view to_string(PaddingMode mode);
std::string_view to_string(NormKind kind);
std::string_view to_string(QuantileHead head);
std::string_view to_string(FeatureRole role);
std::string_view to_string(FeatureKind kind);
std::string_view to_string(TrainingObjective objective);

// Metadata <-> JSON text (the metadata block of a model file).  Parsing validates config and
// features and throws Error(CorruptModel) naming the missing or invalid field.
std::string metadata_to_json(const ModelMetadata& metadata);
ModelMetadata metadata_from_json(std::string_view text);

// A parameter tensor the encoder needs: name and shape (row-major, f32).
struct TensorSpec {
  std::string name;
  std::vector<int64_t> dims;
};

// The encoder's parameters for a (validated) config, in the canonical order a model file stores them.
// Linear layers follow PyTorch's nn.Linear: weight [out, in], y = x W^T + b.  With D = d_model,
// P = patch_length, N = num_tokens(), F = ffn_dim, H = horizon, Q = number of quantiles:
//   revin.weight [1], revin.bias [1]          only for Revin with affine (one target channel)
//   patch_embed.weight [D, P], patch_embed.bias [D]
//   pos_embed [N, D]                           added to the embedded patches
//   layers.{i}.ln1.weight [D], .ln1.bias [D]   pre-attention LayerNorm
//   layers.{i}.attn.qkv.weight [3D, D], .attn.qkv.bias [3D]
//                                              fused projection: rows 0..D-1 give q, D..2D-1 k, 2D..3D-1 v;
//                                              head h uses columns h*D/heads .. (h+1)*D/heads-1 of each
//                                              (as nn.MultiheadAttention's in_proj)
//   layers.{i}.attn.out.weight [D, D], .attn.out.bias [D]
//   layers.{i}.ln2.weight [D], .ln2.bias [D]   pre-feed-forward LayerNorm
//   layers.{i}.ffn1.weight [F, D], .ffn1.bias [F], layers.{i}.ffn2.weight [D, F], .ffn2.bias [D]
//   final_ln.weight [D], final_ln.bias [D]
//   head.weight [H*Q, N*D], head.bias [H*Q]    input index n*D + d (token-major flattening),
//                                              output index h*Q + q (raw values, see QuantileHead)
std::vector<TensorSpec> expected_tensors(const ModelConfig& config);
// The tensors of a model with these features: each feature's own tensors after the encoder's.
// The target has none beyond the encoder's; a covariate feature would bring its embedding, and
// this library has none yet: Error(Unsupported) naming the first such feature, so that a model
// file with covariates is refused for what it is before its tensors are matched.
std::vector<TensorSpec> expected_tensors(const ModelMetadata& metadata);

}  // namespace invforecast
