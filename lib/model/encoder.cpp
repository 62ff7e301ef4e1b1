#include "model/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "core/thread_pool.hpp"
#include "error.hpp"

namespace invforecast {

namespace kern = invforecast::kernels;

namespace {

// Every buffer starts on a 64-byte boundary (a cache line; AVX2 loads).
constexpr size_t kAlignFloats = 16;
constexpr size_t kMaxWorkspaceBytes = size_t{1} << 30;

size_t round_up(size_t floats) { return (floats + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// Per series, the floats a tile's covariate inputs and activations take (the decoder's output
// apart: it lives in the group's buffer) and its codes; none without covariates.
std::pair<int64_t, int64_t> covariate_footprint(const ModelConfig& c, const CovariateLayout& l) {
  if (l.empty()) return {0, 0};
  const layers::CovariateSizes cov = layers::covariate_sizes(c, l);
  const layers::CovariateInputSizes inputs = layers::covariate_input_sizes(c, l);
  return {inputs.reals() + cov.total() - cov.decoder_out, inputs.codes()};
}

const float* data_of(const ModelFile& file, const std::string& name) {
  return file.tensor(name).values.data();
}

}  // namespace

// ---------------------------------------------------------------------------
EncoderWorkspace::EncoderWorkspace(const ModelConfig& config, const kern::Backend& backend,
                                   int64_t tile_series, const CovariateLayout& layout)
    : context_(backend) {
  validate_config(config);
  if (tile_series < 1)
    fail(ErrorCode::InvalidArgument, "encoder workspace: tile_series must be >= 1, got {}",
         tile_series);
  tile_series_ = tile_series;
  context_length_ = config.context_length;
  patch_length_ = config.patch_length;
  tokens_ = config.num_tokens();
  d_model_ = config.d_model;
  heads_ = config.heads;
  ffn_dim_ = config.ffn_dim;
  outputs_ = config.horizon * config.num_quantiles();
  raw_outputs_ = config.horizon * config.head_step_outputs();
  std::tie(covariate_floats_, covariate_codes_) = covariate_footprint(config, layout);

  // Sizes in double first: absurd tiles are refused before anything is multiplied in size_t.
  const double rows = static_cast<double>(tile_series) * static_cast<double>(tokens_);
  const double group_d = static_cast<double>(tile_series) * kHeadGroupTiles;
  const double estimate =
      4.0 * (rows * (6.0 * d_model_ + ffn_dim_ + patch_length_) +
             2.0 * static_cast<double>(tile_series) * context_length_ +
             group_d * (tokens_ * d_model_ + 2.0 * outputs_ + raw_outputs_ + 2.0) +
             static_cast<double>(tile_series) * static_cast<double>(covariate_floats_ + covariate_codes_) +
             (layout.empty() ? 0.0 : group_d * raw_outputs_) +
             (config.head == HeadKind::NegBin ? group_d * (raw_outputs_ + 2.0) : 0.0));
  if (estimate > static_cast<double>(kMaxWorkspaceBytes))
    fail(ErrorCode::InvalidArgument,
         "encoder workspace: {} series per tile need about {:.0f} MiB, more than the 1024 MiB "
         "limit; use a smaller tile",
         tile_series, estimate / (1024.0 * 1024.0));

  const auto series = static_cast<size_t>(tile_series);
  const auto token_rows = series * static_cast<size_t>(tokens_);
  const auto d = static_cast<size_t>(d_model_);
  size_t used = 0;
  auto take = [&used](size_t floats) {
    const Slot slot{used};
    used += round_up(floats);
    return slot;
  };
  const auto group = static_cast<size_t>(group_series());
  context_in_ = take(series * static_cast<size_t>(context_length_));
  normalized_ = take(series * static_cast<size_t>(context_length_));
  center_ = take(group);
  spread_ = take(group);
  patches_ = take(token_rows * static_cast<size_t>(patch_length_));
  stream_ = take(token_rows * d);
  scratch_ = take(token_rows * d);
  qkv_ = take(token_rows * 3 * d);
  attended_ = take(token_rows * d);
  hidden_ = take(token_rows * static_cast<size_t>(ffn_dim_));
  final_tokens_ = take(group * static_cast<size_t>(tokens_) * d);
  raw_head_ = take(group * static_cast<size_t>(raw_outputs_));
  quantiles_ = take(group * static_cast<size_t>(outputs_));
  sales_ = take(group * static_cast<size_t>(outputs_));
  attention_ = take(static_cast<size_t>(
      kern::attention_workspace_floats(layers::attention_dims(config, tile_series))));
  if (!layout.empty()) {
    // covariate_floats_ per series: the inputs, then the activations.
    const int64_t inputs = layers::covariate_input_sizes(config, layout).reals();
    covariate_real_ = take(series * static_cast<size_t>(inputs));
    covariate_acts_ = take(series * static_cast<size_t>(covariate_floats_ - inputs));
    decoder_out_ = take(group * static_cast<size_t>(raw_outputs_));
    codes_ = kern::Buffer<int32_t>(backend, series * static_cast<size_t>(covariate_codes_));
  }
  storage_ = kern::Buffer<float>(backend, used);
  if (config.head == HeadKind::NegBin) host_.resize(group * static_cast<size_t>(raw_outputs_ + 2));
}

// ---------------------------------------------------------------------------
EncoderModel::EncoderModel(ModelFile file, const kern::Backend& backend)
    : file_(std::move(file)), backend_(&backend) {
  const ModelConfig& c = file_.config();
  layout_ = covariate_layout(c, file_.metadata().features);
  const int64_t D = c.d_model, N = c.num_tokens();
  const bool affine = c.normalization == NormKind::Revin && c.revin_affine;
  if (affine) {
    revin_[0] = *data_of(file_, "revin.weight");
    revin_[1] = *data_of(file_, "revin.bias");
    if (!(revin_[0] > 0.0f))
      fail(ErrorCode::CorruptModel,
           "encoder: revin.weight is {}, it must be positive (the output is divided by it, and a "
           "negative value would reverse the order of the quantiles)",
           revin_[0]);
  }

  // The small tensors, gathered on the host in this order and copied to the backend at once:
  // RevIN's pair, the positional embedding, per layer ln1 and ln2 (weight, bias), final_ln.
  std::vector<float> small(revin_, revin_ + 2);
  auto gather = [&](const std::string& name, int64_t count) {
    const size_t offset = small.size();
    const float* values = data_of(file_, name);
    small.insert(small.end(), values, values + count);
    return offset;
  };
  const size_t pos_at = gather("pos_embed", N * D);
  std::vector<size_t> norm_at;
  for (int64_t i = 0; i < c.layers; ++i)
    for (const char* name : {"ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias"})
      norm_at.push_back(gather(fmt::format("layers.{}.{}", i, name), D));
  const size_t final_at = gather("final_ln.weight", D);
  gather("final_ln.bias", D);
  small_tensors_ = kern::Buffer<float>(backend, small.size());
  backend.upload(kern::Context(backend), small_tensors_.data(), small.data(),
                 small.size() * sizeof(float));
  const float* on_backend = small_tensors_.data();

  // Every linear layer prepared by the backend; prepared_ is filled before any pointer into it
  // is taken.
  auto prepare = [&](const std::string& name, int64_t in, int64_t out) {
    prepared_.push_back(backend.prepare_linear(data_of(file_, name + ".weight"),
                                               data_of(file_, name + ".bias"), in, out));
  };
  prepare("patch_embed", c.patch_length, D);
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = fmt::format("layers.{}.", i);
    prepare(p + "attn.qkv", D, 3 * D);
    prepare(p + "attn.out", D, D);
    prepare(p + "ffn1", D, c.ffn_dim);
    prepare(p + "ffn2", c.ffn_dim, D);
  }
  prepare("head", N * D, c.horizon * c.head_step_outputs());
  auto linear = [](const kern::PreparedLinear& layer) {
    return layers::Linear<float>{layer.weight(), layer.bias(), layer.in_features(),
                                 layer.out_features(), &layer};
  };

  embedding_ = layers::EmbeddingWeights<float>{on_backend, on_backend + 1, linear(prepared_[0]),
                                               on_backend + pos_at};
  for (int64_t i = 0; i < c.layers; ++i) {
    const auto norms = norm_at.begin() + 4 * i;
    const auto first = prepared_.begin() + 1 + 4 * i;
    blocks_.push_back(layers::BlockWeights<float>{
        on_backend + norms[0], on_backend + norms[1], linear(first[0]), linear(first[1]),
        on_backend + norms[2], on_backend + norms[3], linear(first[2]), linear(first[3])});
  }
  final_ln_weight_ = on_backend + final_at;
  final_ln_bias_ = on_backend + final_at + D;
  head_ = linear(prepared_.back());
  if (has_covariates()) bind_covariates();
}

void EncoderModel::bind_covariates() {
  const ModelConfig& c = config();
  const CovariateLayout& l = layout_;
  const int64_t D = c.d_model, S = l.static_width(), Fd = c.decoder_dim;
  // The embedding tables are read in place like the small tensors: copied to the backend.
  std::vector<float> tables;
  std::vector<std::pair<size_t, int64_t>> at;  // offset, entries; in layout order
  for (const std::vector<size_t>* group : {&l.known_categorical, &l.past_categorical, &l.static_categorical})
    for (size_t feature : *group) {
      const TensorView& t = file_.tensor(fmt::format("features.{}.embedding", feature));
      at.emplace_back(tables.size(), t.dims[0]);
      tables.insert(tables.end(), t.values.begin(), t.values.end());
    }
  if (!tables.empty()) {
    embedding_tables_ = kern::Buffer<float>(*backend_, tables.size());
    backend_->upload(kern::Context(*backend_), embedding_tables_.data(), tables.data(),
                     tables.size() * sizeof(float));
  }
  size_t next = 0;
  auto take_tables = [&](size_t count) {
    std::vector<layers::Embedding<float>> out;
    for (size_t i = 0; i < count; ++i, ++next)
      out.push_back({embedding_tables_.data() + at[next].first, at[next].second});
    return out;
  };
  covariates_.known = take_tables(l.known_categorical.size());
  covariates_.past = take_tables(l.past_categorical.size());
  covariates_.statics = take_tables(l.static_categorical.size());

  // prepared_ must not reallocate once pointers into it are taken.
  covariate_prepared_.reserve(5);
  auto prepare = [&](const std::string& name, bool bias, int64_t in, int64_t out) {
    covariate_prepared_.push_back(backend_->prepare_linear(
        data_of(file_, name + ".weight"), bias ? data_of(file_, name + ".bias") : nullptr, in, out));
    const kern::PreparedLinear& p = covariate_prepared_.back();
    return layers::Linear<float>{p.weight(), p.bias(), in, out, &p};
  };
  covariates_.patch = prepare("covariates.patch", false, l.channels() * c.patch_length, D);
  if (S > 0) covariates_.static_in = prepare("covariates.static", true, S, D);
  covariates_.known_in = prepare("decoder.known", false, l.known_channels(), Fd);
  covariates_.series_in = prepare("decoder.series", true, D + S, Fd);
  covariates_.out = prepare("decoder.out", true, Fd, c.head_step_outputs());
}

void EncoderModel::check_workspace(const EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  if (ws.context_length_ != c.context_length || ws.patch_length_ != c.patch_length ||
      ws.tokens_ != c.num_tokens() || ws.d_model_ != c.d_model || ws.heads_ != c.heads ||
      ws.ffn_dim_ != c.ffn_dim || ws.outputs_ != outputs_per_series() ||
      ws.raw_outputs_ != c.horizon * c.head_step_outputs())
    fail(ErrorCode::InvalidArgument,
         "encoder forecast: the workspace was sized for another model shape (context {}, tokens "
         "{}, d_model {}, ffn {}, outputs {}; this model: {}, {}, {}, {}, {})",
         ws.context_length_, ws.tokens_, ws.d_model_, ws.ffn_dim_, ws.outputs_, c.context_length,
         c.num_tokens(), c.d_model, c.ffn_dim, outputs_per_series());
  if (std::pair(ws.covariate_floats_, ws.covariate_codes_) != covariate_footprint(c, layout_))
    fail(ErrorCode::InvalidArgument,
         "encoder forecast: the workspace was sized for other covariates; make it with "
         "EncoderModel::make_workspace");
  if (&ws.context_.backend() != backend_)
    fail(ErrorCode::InvalidArgument,
         "encoder forecast: the workspace is on the {} backend, the model on {}",
         ws.context_.backend().name(), backend_->name());
}

void EncoderModel::check_inputs(const float* context, int64_t batch, const float* quantiles_out,
                                const layers::CovariateBatch<float>* covariates,
                                const float* mean_out) const {
  if (batch < 0) fail(ErrorCode::InvalidArgument, "encoder forecast: batch must be >= 0, got {}", batch);
  if (mean_out && config().head == HeadKind::Quantile)
    fail(ErrorCode::InvalidArgument,
         "encoder forecast: the quantile head has no mean of its own (mean_out must be null)");
  if (batch == 0) return;
  if (has_covariates()) {
    if (!covariates)
      fail(ErrorCode::NullPointer, "encoder forecast: the model has covariates and none were given");
    const layers::CovariateInputSizes z = layers::covariate_input_sizes(config(), layout_);
    auto check = [batch](const auto* values, int64_t per_series, const char* name) {
      if (per_series == 0) return;
      if (!values) fail(ErrorCode::NullPointer, "encoder forecast: covariates' {} is null", name);
      if constexpr (std::is_same_v<std::remove_cv_t<std::remove_pointer_t<decltype(values)>>, float>) {
        for (int64_t i = 0; i < batch * per_series; ++i)
          if (!std::isfinite(values[i]))
            fail(ErrorCode::InvalidArgument,
                 "encoder forecast: covariates' {} of series {} hold a non-finite value", name,
                 i / per_series);
      }
    };
    check(covariates->context_real, z.context_real, "context_real");
    check(covariates->horizon_real, z.horizon_real, "horizon_real");
    check(covariates->static_real, z.static_real, "static_real");
    check(covariates->context_codes, z.context_codes, "context_codes");
    check(covariates->horizon_codes, z.horizon_codes, "horizon_codes");
    check(covariates->static_codes, z.static_codes, "static_codes");
  }
  if (!context) fail(ErrorCode::NullPointer, "encoder forecast: context is null");
  if (!quantiles_out) fail(ErrorCode::NullPointer, "encoder forecast: quantiles_out is null");
  const int64_t L = config().context_length;
  for (int64_t s = 0; s < batch; ++s)
    for (int64_t t = 0; t < L; ++t)
      if (!std::isfinite(context[s * L + t]))
        fail(ErrorCode::InvalidArgument,
             "encoder forecast: context of series {} holds a non-finite value at position {}", s,
             t);
}

void EncoderModel::forecast(const float* context, int64_t batch, float* quantiles_out,
                            EncoderWorkspace& ws, const layers::CovariateBatch<float>* covariates,
                            const EncoderExtras& extras) const {
  check_workspace(ws);
  check_inputs(context, batch, quantiles_out, covariates, extras.mean);
  forecast_span(context, has_covariates() ? covariates : nullptr, batch, quantiles_out, extras.mean,
                ws, extras.attention);
}

void EncoderModel::forecast_span(const float* context,
                                 const layers::CovariateBatch<float>* covariates, int64_t count,
                                 float* quantiles_out, float* mean_out,
                                 EncoderWorkspace& ws, float* attention_out) const {
  const ModelConfig& c = config();
  const int64_t N = c.num_tokens(), attention_floats = c.layers * c.heads * N * N;
  const int64_t L = c.context_length, outputs = outputs_per_series(), H = c.horizon;
  const int64_t tile = ws.tile_series(), group = ws.group_series();
  for (int64_t first = 0; first < count; first += group) {
    const int64_t series = std::min(group, count - first);
    for (int64_t t = 0; t < series; t += tile) {
      const layers::CovariateBatch<float> tile_covariates =
          covariates ? layers::advance(*covariates, layers::covariate_input_sizes(config(), layout_),
                                       first + t)
                     : layers::CovariateBatch<float>{};
      encode_tile(context + (first + t) * L, covariates ? &tile_covariates : nullptr,
                  std::min(tile, series - t), t, ws,
                  attention_out ? attention_out + (first + t) * attention_floats : nullptr);
    }
    forecast_head(series, quantiles_out + first * outputs, mean_out ? mean_out + first * H : nullptr,
                  ws);
  }
}

layers::CovariateActivations<float> EncoderModel::covariate_activations(EncoderWorkspace& ws,
                                                                      int64_t slot) const {
  const ModelConfig& c = config();
  const layers::CovariateSizes z = layers::covariate_sizes(c, layout_);
  // The tile's activations; the decoder's output goes to the group's slot instead (the
  // workspace holds no tile-sized one).
  layers::CovariateActivations<float> a =
      layers::carve_activations(ws.at(ws.covariate_acts_), ws.tile_series(), z);
  a.decoder_out = ws.at(ws.decoder_out_) + slot * z.decoder_out;
  return a;
}

void EncoderModel::encode_tile(const float* context,
                               const layers::CovariateBatch<float>* covariates, int64_t series,
                               int64_t slot, EncoderWorkspace& ws, float* attention_out) const {
  const ModelConfig& c = config();
  const int64_t L = c.context_length, N = c.num_tokens(), D = c.d_model;
  const kern::Context& ctx = ws.context_;
  ctx.backend().upload(ctx, ws.at(ws.context_in_), context,
                       static_cast<size_t>(series * L) * sizeof(float));
  float* stream = ws.at(ws.stream_);
  layers::embed_forward(ctx, c, embedding_, ws.at(ws.context_in_), series, nullptr,
                        ws.at(ws.normalized_), ws.at(ws.center_) + slot, ws.at(ws.spread_) + slot,
                        ws.at(ws.patches_), stream);
  layers::CovariateActivations<float> cov;
  if (covariates) {
    // The tile's inputs, copied into the workspace in CovariateBatch order.
    const layers::CovariateInputSizes z = layers::covariate_input_sizes(c, layout_);
    float* reals = ws.at(ws.covariate_real_);
    int32_t* codes = ws.codes_.data();
    layers::CovariateBatch<float> on_backend;
    auto put = [&](auto*& cursor, const auto* host, int64_t per_series) {
      auto* at = cursor;
      if (per_series > 0)
        ctx.backend().upload(ctx, at, host, static_cast<size_t>(series * per_series) * sizeof(*host));
      cursor += series * per_series;
      return at;
    };
    on_backend.context_real = put(reals, covariates->context_real, z.context_real);
    on_backend.horizon_real = put(reals, covariates->horizon_real, z.horizon_real);
    on_backend.static_real = put(reals, covariates->static_real, z.static_real);
    on_backend.context_codes = put(codes, covariates->context_codes, z.context_codes);
    on_backend.horizon_codes = put(codes, covariates->horizon_codes, z.horizon_codes);
    on_backend.static_codes = put(codes, covariates->static_codes, z.static_codes);
    cov = covariate_activations(ws, slot);
    layers::covariate_frames_forward(ctx, c, layout_, covariates_, on_backend, series, cov);
    layers::covariate_tokens_forward(ctx, c, layout_, covariates_, series, cov, stream, true);
  }

  // Inference form of the blocks (transformer_block.hpp): the stream updated in place.
  layers::BlockActivations<float> a;
  a.ln1_out = a.ln2_out = ws.at(ws.scratch_);
  a.qkv = ws.at(ws.qkv_);
  a.attended = ws.at(ws.attended_);
  a.mid = stream;
  a.ffn_act = ws.at(ws.hidden_);
  // Explanations: each layer's probabilities, downloaded per series into its [layers, ...] block.
  const int64_t head_floats = c.heads * N * N;
  if (attention_out) {
    const auto floats = static_cast<size_t>(ws.tile_series() * head_floats);
    if (ws.attention_probs_.size() < floats)
      ws.attention_probs_ = kern::Buffer<float>(ctx.backend(), floats);
    a.attention = ws.attention_probs_.data();
  }
  for (size_t layer = 0; layer < blocks_.size(); ++layer) {
    layers::block_forward(ctx, c, blocks_[layer], series, stream, stream, a, ws.at(ws.attention_));
    for (int64_t s = 0; attention_out && s < series; ++s)
      ctx.backend().download(
          ctx, attention_out + (s * c.layers + static_cast<int64_t>(layer)) * head_floats,
          a.attention + s * head_floats, static_cast<size_t>(head_floats) * sizeof(float));
  }

  kern::layer_norm_forward(ctx, stream, final_ln_weight_, final_ln_bias_,
                           ws.at(ws.final_tokens_) + slot * N * D, nullptr, nullptr, series * N,
                           D, static_cast<float>(c.layer_norm_eps));
  if (covariates)
    layers::decoder_forward(ctx, c, layout_, covariates_, ws.at(ws.final_tokens_) + slot * N * D,
                            series, cov);
}

void EncoderModel::forecast_head(int64_t series, float* quantiles_out, float* mean_out,
                                 EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  const kern::Context& ctx = ws.context_;
  layers::head_forward(ctx, c, head_, ws.at(ws.final_tokens_), series, ws.at(ws.raw_head_),
                       ws.at(ws.quantiles_), has_covariates() ? ws.at(ws.decoder_out_) : nullptr);
  if (c.head == HeadKind::NegBin) {
    // The distribution's quantiles are a search on the host: raw outputs and statistics down.
    const auto raw = static_cast<size_t>(series * ws.raw_outputs_), n = static_cast<size_t>(series);
    float* host = ws.host_.data();
    ctx.backend().download(ctx, host, ws.at(ws.raw_head_), raw * sizeof(float));
    ctx.backend().download(ctx, host + raw, ws.at(ws.center_), n * sizeof(float));
    ctx.backend().download(ctx, host + raw + n, ws.at(ws.spread_), n * sizeof(float));
    layers::negbin_forecast(c, host, host + raw, host + raw + n, revin_[0], revin_[1], series,
                            quantiles_out, mean_out);
    return;
  }
  layers::to_sales(ctx, c, embedding_.revin_weight, embedding_.revin_bias, ws.at(ws.center_),
                   ws.at(ws.spread_), ws.at(ws.quantiles_), series, ws.at(ws.sales_));
  ctx.backend().download(ctx, quantiles_out, ws.at(ws.sales_),
                         static_cast<size_t>(series * outputs_per_series()) * sizeof(float));
}

// ---------------------------------------------------------------------------
void forecast_parallel(const EncoderModel& model, const float* context, int64_t batch,
                       float* quantiles_out, std::span<EncoderWorkspace> workspaces,
                       const layers::CovariateBatch<float>* covariates,
                       const EncoderExtras& extras) {
  if (workspaces.empty())
    fail(ErrorCode::InvalidArgument, "encoder forecast_parallel: no workspace given");
  const int64_t tile = workspaces[0].tile_series();
  for (const EncoderWorkspace& ws : workspaces) {
    if (ws.tile_series() != tile)
      fail(ErrorCode::InvalidArgument,
           "encoder forecast_parallel: workspaces have different tile sizes ({} and {}); results "
           "would depend on the thread count",
           tile, ws.tile_series());
    model.check_workspace(ws);
  }
  model.check_inputs(context, batch, quantiles_out, covariates, extras.mean);
  if (!model.has_covariates()) covariates = nullptr;
  const int64_t tiles = (batch + tile - 1) / tile;
  const auto threads = std::min(static_cast<int64_t>(workspaces.size()), tiles);
  if (threads == 0) return;
  // One thread: no pool and no error list, so the forecast allocates nothing.
  const ModelConfig& c = model.config();
  const int64_t L = c.context_length, outputs = model.outputs_per_series(), H = c.horizon,
                attention_floats = c.layers * c.heads * c.num_tokens() * c.num_tokens();
  if (threads == 1) {
    model.forecast_span(context, covariates, batch, quantiles_out, extras.mean, workspaces[0],
                        extras.attention);
    return;
  }
  // Share w runs tiles [w * tiles / threads, (w + 1) * tiles / threads) with workspace w, on the
  // engine's persistent pool (no thread is started per call).
  ThreadPool::shared().run(static_cast<size_t>(threads), [&](size_t share, size_t) {
    const auto w = static_cast<int64_t>(share);
    const int64_t first = w * tiles / threads * tile;
    const int64_t end = std::min(batch, (w + 1) * tiles / threads * tile);
    const layers::CovariateBatch<float> share_covariates =
        covariates ? layers::advance(*covariates,
                                     layers::covariate_input_sizes(c, model.layout()), first)
                   : layers::CovariateBatch<float>{};
    model.forecast_span(context + first * L, covariates ? &share_covariates : nullptr, end - first,
                        quantiles_out + first * outputs,
                        extras.mean ? extras.mean + first * H : nullptr, workspaces[share],
                        extras.attention ? extras.attention + first * attention_floats : nullptr);
  });
}

}  // namespace invforecast
