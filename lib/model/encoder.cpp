#include "model/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

#include "core/error.hpp"

namespace invforecast {

namespace kern = invforecast::kernels;

namespace {

// Every buffer starts on a 64-byte boundary (a cache line; AVX2 loads).
constexpr size_t kAlignFloats = 16;
constexpr size_t kMaxWorkspaceBytes = size_t{1} << 30;

size_t round_up(size_t floats) { return (floats + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// y += x, the residual connections (no op in kernels/ adds two tensors).
void add_in_place(float* y, const float* x, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] += x[i];
}

const float* data_of(const ModelFile& file, const std::string& name) {
  return file.tensor(name).values.data();
}

}  // namespace

// ---------------------------------------------------------------------------
EncoderWorkspace::EncoderWorkspace(const ModelConfig& config, int64_t tile_series) {
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

  // Sizes in double first: absurd tiles are refused before anything is multiplied in size_t.
  const double rows = static_cast<double>(tile_series) * static_cast<double>(tokens_);
  const double group_d = static_cast<double>(tile_series) * kHeadGroupTiles;
  const double estimate =
      4.0 * (rows * (6.0 * d_model_ + ffn_dim_ + patch_length_) +
             static_cast<double>(tile_series) * context_length_ +
             group_d * (tokens_ * d_model_ + 2.0 * outputs_ + 2.0));
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
    const Buffer buffer{used};
    used += round_up(floats);
    return buffer;
  };
  const auto group = static_cast<size_t>(group_series());
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
  raw_head_ = take(group * static_cast<size_t>(outputs_));
  quantiles_ = take(group * static_cast<size_t>(outputs_));
  const kern::AttentionDims dims{tile_series, tokens_, heads_, d_model_ / heads_, 3 * d_model_,
                                 d_model_};
  attention_ = take(static_cast<size_t>(kern::attention_workspace_floats(dims)));
  storage_.assign(used + kAlignFloats, 0.0f);
}

float* EncoderWorkspace::aligned_base() {
  auto address = reinterpret_cast<uintptr_t>(storage_.data());
  const uintptr_t alignment = kAlignFloats * sizeof(float);
  address = (address + alignment - 1) / alignment * alignment;
  return reinterpret_cast<float*>(address);
}

// ---------------------------------------------------------------------------
EncoderModel::EncoderModel(ModelFile file) : file_(std::move(file)) {
  const ModelConfig& c = file_.config();
  median_index_ = c.median_quantile_index();
  if (c.normalization == NormKind::Revin && c.revin_affine) {
    revin_weight_ = data_of(file_, "revin.weight");
    revin_bias_ = data_of(file_, "revin.bias");
    if (!(*revin_weight_ > 0.0f))
      fail(ErrorCode::CorruptModel,
           "encoder: revin.weight is {}, it must be positive (the output is divided by it, and a "
           "negative value would reverse the order of the quantiles)",
           *revin_weight_);
  }
  const int64_t D = c.d_model;
  patch_embed_ = kern::PackedLinear(data_of(file_, "patch_embed.weight"),
                                    data_of(file_, "patch_embed.bias"), c.patch_length, D);
  pos_embed_ = data_of(file_, "pos_embed");
  layers_.reserve(static_cast<size_t>(c.layers));
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = fmt::format("layers.{}.", i);
    const auto linear = [&](const std::string& name, int64_t in, int64_t out) {
      return kern::PackedLinear(data_of(file_, p + name + ".weight"),
                                data_of(file_, p + name + ".bias"), in, out);
    };
    layers_.push_back(LayerWeights{
        data_of(file_, p + "ln1.weight"), data_of(file_, p + "ln1.bias"),
        linear("attn.qkv", D, 3 * D), linear("attn.out", D, D),
        data_of(file_, p + "ln2.weight"), data_of(file_, p + "ln2.bias"),
        linear("ffn1", D, c.ffn_dim), linear("ffn2", c.ffn_dim, D)});
  }
  final_ln_weight_ = data_of(file_, "final_ln.weight");
  final_ln_bias_ = data_of(file_, "final_ln.bias");
  head_ = kern::PackedLinear(data_of(file_, "head.weight"), data_of(file_, "head.bias"),
                             c.num_tokens() * D, c.horizon * c.num_quantiles());
}

void EncoderModel::check_workspace(const EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  if (ws.context_length_ != c.context_length || ws.patch_length_ != c.patch_length ||
      ws.tokens_ != c.num_tokens() || ws.d_model_ != c.d_model || ws.heads_ != c.heads ||
      ws.ffn_dim_ != c.ffn_dim || ws.outputs_ != outputs_per_series())
    fail(ErrorCode::InvalidArgument,
         "encoder forecast: the workspace was sized for another model shape (context {}, tokens "
         "{}, d_model {}, ffn {}, outputs {}; this model: {}, {}, {}, {}, {})",
         ws.context_length_, ws.tokens_, ws.d_model_, ws.ffn_dim_, ws.outputs_, c.context_length,
         c.num_tokens(), c.d_model, c.ffn_dim, outputs_per_series());
}

void EncoderModel::check_inputs(const float* context, int64_t batch,
                                const float* quantiles_out) const {
  if (batch < 0) fail(ErrorCode::InvalidArgument, "encoder forecast: batch must be >= 0, got {}", batch);
  if (batch == 0) return;
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

void EncoderModel::forecast(kern::Backend backend, const float* context, int64_t batch,
                            float* quantiles_out, EncoderWorkspace& ws) const {
  check_workspace(ws);
  check_inputs(context, batch, quantiles_out);
  forecast_span(backend, context, batch, quantiles_out, ws);
}

void EncoderModel::forecast_span(kern::Backend backend, const float* context, int64_t count,
                                 float* quantiles_out, EncoderWorkspace& ws) const {
  const int64_t L = config().context_length, outputs = outputs_per_series();
  const int64_t tile = ws.tile_series(), group = ws.group_series();
  for (int64_t first = 0; first < count; first += group) {
    const int64_t series = std::min(group, count - first);
    for (int64_t t = 0; t < series; t += tile)
      encode_tile(backend, context + (first + t) * L, std::min(tile, series - t), t, ws);
    forecast_head(backend, series, quantiles_out + first * outputs, ws);
  }
}

void EncoderModel::normalize(kern::Backend backend, const float* context, int64_t series,
                             int64_t slot, EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  const auto eps = static_cast<float>(c.norm_eps);
  float* center = ws.at(ws.center_) + slot;
  float* spread = ws.at(ws.spread_) + slot;
  switch (c.normalization) {
    case NormKind::Revin:
      kern::revin_normalize_forward(backend, context, revin_weight_, revin_bias_,
                                    ws.at(ws.normalized_), center, spread, series,
                                    c.context_length, 1, eps);
      return;
    case NormKind::MeanAbs:
      kern::mean_abs_scale_forward(backend, context, ws.at(ws.normalized_), spread, series,
                                   c.context_length, eps);
      return;
  }
}

void EncoderModel::denormalize(kern::Backend backend, int64_t series, float* quantiles_out,
                               EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  const int64_t outputs = outputs_per_series();
  switch (c.normalization) {
    case NormKind::Revin:
      kern::revin_denormalize_forward(backend, ws.at(ws.quantiles_), revin_weight_, revin_bias_,
                                      ws.at(ws.center_), ws.at(ws.spread_), quantiles_out, series,
                                      outputs, 1);
      break;
    case NormKind::MeanAbs:
      kern::mean_abs_unscale(backend, ws.at(ws.quantiles_), ws.at(ws.spread_), quantiles_out,
                             series, outputs);
      break;
  }
  // Sales are non-negative; clipping keeps the order, so the quantiles stay non-crossing.
  for (int64_t i = 0; i < series * outputs; ++i)
    quantiles_out[i] = std::max(quantiles_out[i], 0.0f);
}

void EncoderModel::encoder_layer(kern::Backend backend, const LayerWeights& w, int64_t series,
                                 EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  const int64_t d = c.d_model, rows = series * c.num_tokens();
  const auto ln_eps = static_cast<float>(c.layer_norm_eps);
  float* stream = ws.at(ws.stream_);
  float* scratch = ws.at(ws.scratch_);
  float* qkv = ws.at(ws.qkv_);

  // x += out_proj(attention(qkv(LN1(x))))
  kern::layer_norm_forward(backend, stream, w.ln1_weight, w.ln1_bias, scratch, nullptr, nullptr,
                           rows, d, ln_eps);
  kern::linear_forward(backend, w.qkv, scratch, qkv, rows);
  const kern::AttentionDims dims{series, c.num_tokens(), c.heads, d / c.heads, 3 * d, d};
  kern::attention_forward(backend, dims, qkv, qkv + d, qkv + 2 * d, ws.at(ws.attended_), nullptr,
                          ws.at(ws.attention_));
  kern::linear_residual_forward(backend, w.out, ws.at(ws.attended_), stream, rows);

  // x += ffn2(gelu(ffn1(LN2(x))))
  kern::layer_norm_forward(backend, stream, w.ln2_weight, w.ln2_bias, scratch, nullptr, nullptr,
                           rows, d, ln_eps);
  kern::linear_gelu_forward(backend, w.ffn1, scratch, ws.at(ws.hidden_), rows);
  kern::linear_residual_forward(backend, w.ffn2, ws.at(ws.hidden_), stream, rows);
}

void EncoderModel::encode_tile(kern::Backend backend, const float* context, int64_t series,
                               int64_t slot, EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  const int64_t L = c.context_length, P = c.patch_length, N = c.num_tokens(), D = c.d_model;
  const int64_t rows = series * N;

  normalize(backend, context, series, slot, ws);

  // Patch t covers padded positions [t*stride, t*stride + P); past the end of the context the
  // padding repeats the last (normalised) value.
  const float* normalized = ws.at(ws.normalized_);
  float* patches = ws.at(ws.patches_);
  for (int64_t s = 0; s < series; ++s) {
    const float* x = normalized + s * L;
    for (int64_t t = 0; t < N; ++t) {
      float* patch = patches + (s * N + t) * P;
      for (int64_t p = 0; p < P; ++p) patch[p] = x[std::min(t * c.stride + p, L - 1)];
    }
  }

  float* stream = ws.at(ws.stream_);
  kern::linear_forward(backend, patch_embed_, patches, stream, rows);
  for (int64_t s = 0; s < series; ++s) add_in_place(stream + s * N * D, pos_embed_, N * D);

  for (const LayerWeights& layer : layers_) encoder_layer(backend, layer, series, ws);

  kern::layer_norm_forward(backend, stream, final_ln_weight_, final_ln_bias_,
                           ws.at(ws.final_tokens_) + slot * N * D, nullptr, nullptr, rows, D,
                           static_cast<float>(c.layer_norm_eps));
}

void EncoderModel::forecast_head(kern::Backend backend, int64_t series, float* quantiles_out,
                                 EncoderWorkspace& ws) const {
  const ModelConfig& c = config();
  // Each series' tokens are contiguous, so [series, N*D] is the token-major flattening.
  kern::linear_forward(backend, head_, ws.at(ws.final_tokens_), ws.at(ws.raw_head_), series);
  kern::quantile_head_forward(backend, ws.at(ws.raw_head_), ws.at(ws.quantiles_),
                              series * c.horizon, c.num_quantiles(), median_index_);
  denormalize(backend, series, quantiles_out, ws);
}

// ---------------------------------------------------------------------------
void forecast_parallel(const EncoderModel& model, kern::Backend backend, const float* context,
                       int64_t batch, float* quantiles_out,
                       std::span<EncoderWorkspace> workspaces) {
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
  model.check_inputs(context, batch, quantiles_out);
  const int64_t tiles = (batch + tile - 1) / tile;
  const auto threads = std::min(static_cast<int64_t>(workspaces.size()), tiles);
  if (threads == 0) return;
  // One thread: no pool and no error list, so the forecast allocates nothing.
  const int64_t L = model.config().context_length, outputs = model.outputs_per_series();
  if (threads == 1) {
    model.forecast_span(backend, context, batch, quantiles_out, workspaces[0]);
    return;
  }
  // Worker w runs tiles [w * tiles / threads, (w + 1) * tiles / threads).
  auto run_share = [&](int64_t worker) {
    const int64_t first = worker * tiles / threads * tile;
    const int64_t end = std::min(batch, (worker + 1) * tiles / threads * tile);
    model.forecast_span(backend, context + first * L, end - first, quantiles_out + first * outputs,
                        workspaces[static_cast<size_t>(worker)]);
  };
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  auto run_guarded = [&](int64_t worker) {
    try {
      run_share(worker);
    } catch (...) {
      errors[static_cast<size_t>(worker)] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  int64_t started = 1;
  try {
    pool.reserve(static_cast<size_t>(threads - 1));
    for (; started < threads; ++started) pool.emplace_back(run_guarded, started);
  } catch (const std::exception&) {
    // Out of threads or memory: the calling thread takes the shares left over.
  }
  run_guarded(0);
  for (int64_t w = started; w < threads; ++w) run_guarded(w);
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace invforecast
