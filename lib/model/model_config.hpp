// Configuration of the PatchTST-style encoder as stored in a model file, the
// feature schema the model expects, and the canonical list of its parameter
// tensors (names and shapes), which the model file reader checks and the
// encoder implementation binds by name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
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

// What the head predicts for each horizon day (docs/count_head.md has the design).
//  Quantile:  one raw value per quantile level, made non-crossing (QuantileHead) and mapped back
//             to sales; trained on the pinball loss (or MAE / MSE on the median).
//  NegBin:    a negative binomial distribution of the day's sales from two raw values (r_mu, r_a).
//             With the series' normalisation statistics (RevIN: center m, spread s and the affine
//             pair (gamma, beta), or (1, 0) without one; mean-absolute scaling: m = 0, s the
//             scale, gamma = 1, beta = 0):
//               t     = (r_mu - beta) / gamma + m / s
//               mean  mu    = s * softplus(t) + 1e-8          (sales units)
//               alpha       = softplus(r_a) + 1e-3            (variance mu + alpha mu^2)
//             s * t is the quantile head's de-normalisation, so mu follows it where t is large and
//             decays like s e^t, never below the floor, towards no sales.  Trained on the negative
//             log-likelihood of the sales; forecast as the distribution's quantiles at the model's
//             levels (the smallest count k with P(Y <= k) >= level: whole units, non-negative and
//             non-crossing) and its mean mu.
enum class HeadKind { Quantile, NegBin };

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
  QuantileHead quantile_head = QuantileHead::MedianSoftplus;  // the quantile head's map
  // Written to a model file (config key "head") only when it is not the quantile head.
  HeadKind head = HeadKind::Quantile;
  // Covariate models only (docs/covariates.md): width of each categorical embedding, and of the
  // horizon decoder's hidden layer.  Written to a model file only when it has covariates.
  int64_t embedding_dim = 8;
  int64_t decoder_dim = 64;
  // The activation of the feed-forward block is GELU in its exact erf form (PyTorch's default);
  // format v1 knows no other.

  // Number of patch tokens for this configuration (validate() first).
  int64_t num_tokens() const;
  int64_t num_quantiles() const { return static_cast<int64_t>(quantiles.size()); }
  // Raw values the head gives per horizon day: one per quantile, or (r_mu, r_a) for NegBin.
  int64_t head_step_outputs() const { return head == HeadKind::NegBin ? 2 : num_quantiles(); }
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
  static constexpr int64_t max_embedding_dim = 1 << 10;
  static constexpr int64_t max_decoder_dim = 1 << 14;
  static constexpr int64_t max_features = 1 << 10;
  static constexpr int64_t max_levels = 1 << 20;
};

// Throws Error(CorruptModel) naming the first field that is out of range or inconsistent.
void validate_config(const ModelConfig& config);

// One input the model expects: the target, or a covariate (docs/covariates.md describes how each
// enters the model).  Roles: a past covariate is known only up to the forecast origin, a future
// one also over the horizon (price, promotions, events, the calendar), a static one is constant
// per series (store, department).
enum class FeatureRole { Target, PastCovariate, FutureCovariate, StaticCovariate };
enum class FeatureKind { Real, Categorical };
// Where a covariate's values come from: a column of the data, or the date (calendar features:
// day_of_week and month, categorical; day_of_month and week_of_year, real).
enum class FeatureSource { Column, Calendar };

struct FeatureSpec {
  FeatureSpec() = default;
  FeatureSpec(std::string name, FeatureKind kind, FeatureRole role,
              FeatureSource source = FeatureSource::Column)
      : name(std::move(name)), kind(kind), role(role), source(source) {}

  std::string name;
  FeatureKind kind = FeatureKind::Real;
  FeatureRole role = FeatureRole::Target;
  FeatureSource source = FeatureSource::Column;
  // Real covariates: the model reads (x - mean) / scale, with the training data's statistics
  // (scale > 0); a missing value reads 0 (the mean).
  double mean = 0.0, scale = 1.0;
  // Real time-varying covariates positive in every training value (a price): a second channel,
  // log(x / m), m the series' mean of x over the context (over the horizon when the context
  // has none): how far a price is from the series' usual one, whatever its level.
  bool log_ratio = false;
  // Categorical covariates: the training vocabulary.  Embedding row i + 1 is levels[i]; row 0
  // is the unknown bucket (a level not in the vocabulary, or a missing value).
  std::vector<std::string> levels;
  bool operator==(const FeatureSpec&) const = default;
};

// Calendar feature names (FeatureSource::Calendar).
inline constexpr const char* kCalendarFeatures[] = {"day_of_week", "day_of_month", "month",
                                                    "week_of_year"};

// How a model's covariate features map to its input arrays and tensors (docs/covariates.md).
// Time-varying channels, in frame order: the known-future real channels (each feature's value,
// then its log ratio where it has one), the known-future categorical embeddings (embedding_dim
// each), the past-only real channels, the past-only categorical embeddings; so the known-future
// channels are the frame's first known_channels().  Static: the real values, then the
// categorical embeddings.  Features keep their order within each group.
struct CovariateLayout {
  std::vector<size_t> known_real, known_categorical, past_real, past_categorical, static_real,
      static_categorical;  // indices into the features list
  int64_t embedding_dim = 0;
  int64_t known_real_channels = 0, past_real_channels = 0;

  bool empty() const { return channels() == 0 && static_width() == 0; }
  int64_t known_channels() const {
    return known_real_channels + embedding_dim * static_cast<int64_t>(known_categorical.size());
  }
  int64_t channels() const {
    return known_channels() + past_real_channels +
           embedding_dim * static_cast<int64_t>(past_categorical.size());
  }
  int64_t static_width() const {
    return static_cast<int64_t>(static_real.size()) +
           embedding_dim * static_cast<int64_t>(static_categorical.size());
  }
  // Columns of the input arrays (CovariateBatch, layers/covariates.hpp).
  int64_t real_columns() const { return known_real_channels + past_real_channels; }
  int64_t code_columns() const {
    return static_cast<int64_t>(known_categorical.size() + past_categorical.size());
  }
};

// What a model was trained for: forecasting, or self-supervised masked-patch
// reconstruction only (a base for fine-tuning, whose forecast head is untrained).
enum class TrainingObjective { Forecast, MaskedPatch };

// The config.architecture of each kind of file in the model format: a forecast model's, and a
// text encoder's (lib/text/text_model_file.hpp), so that each loader names the other kind when
// given it.
inline constexpr std::string_view kForecastArchitecture = "patchtst_encoder";
inline constexpr std::string_view kTextEncoderArchitecture = "bert_sentence_encoder";

// Everything in a model file besides the tensors.
struct ModelMetadata {
  ModelConfig config;
  std::vector<FeatureSpec> features = {FeatureSpec("target", FeatureKind::Real, FeatureRole::Target)};
  // Stored in format v1 as provenance entry "objective" ("forecast" | "masked_patch"; absent in
  // files written before it: forecast), and read from there into this field.
  TrainingObjective objective = TrainingObjective::Forecast;
  // Free-form training provenance (data set, commit, date, loss, ...), kept verbatim.
  std::map<std::string, std::string> provenance;
};

// The features of a model of the target alone (no covariates).
std::vector<FeatureSpec> target_features();

// Exactly one target, unique non-empty names, known calendar names, positive finite scales,
// vocabularies within ConfigLimits and without repeats, a log ratio only on time-varying reals;
// throws Error(CorruptModel) naming the feature.
void validate_features(const std::vector<FeatureSpec>& features);
// The layout of (validated) features for a config.
CovariateLayout covariate_layout(const ModelConfig& config, const std::vector<FeatureSpec>& features);

std::string_view to_string(PaddingMode mode);
std::string_view to_string(NormKind kind);
std::string_view to_string(QuantileHead head);
std::string_view to_string(HeadKind head);  // "quantile", "negbin"
std::string_view to_string(FeatureRole role);
std::string_view to_string(FeatureKind kind);
std::string_view to_string(FeatureSource source);
std::string_view to_string(TrainingObjective objective);

// Metadata <-> JSON text (the metadata block of a model file).  Parsing validates config and
// features and throws Error(CorruptModel) naming the missing or invalid field, or
// Error(InvalidArgument) for a text encoder's metadata (saying so).
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
//   head.weight [H*W, N*D], head.bias [H*W]    input index n*D + d (token-major flattening),
//                                              output index h*W + j (raw values: W =
//                                              head_step_outputs(), Q quantiles (QuantileHead)
//                                              or (r_mu, r_a) of NegBin, HeadKind)
std::vector<TensorSpec> expected_tensors(const ModelConfig& config);
// The tensors of a model with these features: the encoder's, then the covariates' (none for a
// model of the target alone).  With C = layout.channels(), K = layout.known_channels(), S =
// layout.static_width(), E = embedding_dim, Fd = decoder_dim:
//   features.{i}.embedding [levels + 1, E]     each categorical feature i (index in the list)
//   covariates.patch.weight [D, C * P]         the context's channels of each patch, channel-
//                                              major (index c * P + p), added to its token
//   covariates.static.weight [D, S], covariates.static.bias [D]
//                                              static attributes, added to every token
//   decoder.known.weight [Fd, K]               a horizon step's known-future channels
//   decoder.series.weight [Fd, D + S], decoder.series.bias [Fd]
//                                              the mean of the final tokens, then the statics
//   decoder.out.weight [W, Fd], decoder.out.bias [W]
//                                              added to the head's raw output of the step (W =
//                                              head_step_outputs(), whatever the head)
// A tensor whose width would be 0 (no channels, no statics) is absent.
std::vector<TensorSpec> expected_tensors(const ModelConfig& config,
                                         const std::vector<FeatureSpec>& features);
std::vector<TensorSpec> expected_tensors(const ModelMetadata& metadata);

}  // namespace invforecast
