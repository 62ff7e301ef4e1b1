// invf_model: loading a model file, querying its configuration, forecasting
// batches of raw series.
#include <algorithm>
#include <limits>
#include <string_view>

#include "boundary.hpp"
#include "handles.hpp"

namespace invforecast::capi {

std::unique_ptr<invf_model> make_model_handle(ModelFile file, const Options& options) {
  auto handle = std::make_unique<invf_model>();
  const ForecastOptions& settings = options.forecast;
  handle->threads = settings.threads;
  handle->runtime =
      std::make_shared<const ModelRuntime>(std::move(file), kernels::backend_of(settings.backend));
  return handle;
}

namespace {

const invf_model& model_ref(const invf_model* model) {
  require(model, "model");
  return *model;
}


int64_t config_value(const invf_model& model, std::string_view key) {
  const ModelConfig& c = model.runtime->model().config();
  if (key == "context_length") return c.context_length;
  if (key == "patch_length") return c.patch_length;
  if (key == "stride") return c.stride;
  if (key == "tokens") return c.num_tokens();
  if (key == "d_model") return c.d_model;
  if (key == "heads") return c.heads;
  if (key == "ffn_dim") return c.ffn_dim;
  if (key == "layers") return c.layers;
  if (key == "horizon") return c.horizon;
  if (key == "quantile_count") return c.num_quantiles();
  if (key == "format_version") return kModelFormatVersion;
  fail(ErrorCode::InvalidArgument,
       "unknown model configuration key '{}' (expected context_length, patch_length, stride, "
       "tokens, d_model, heads, ffn_dim, layers, horizon, quantile_count or format_version)",
       key);
}

// a * b, refusing a product that does not fit in size_t.
size_t checked_product(size_t a, size_t b, const char* what) {
  if (b != 0 && a > std::numeric_limits<size_t>::max() / b)
    fail(ErrorCode::InvalidArgument, "{}: {} x {} overflows", what, a, b);
  return a * b;
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_model_load(const char* path, const invf_options* options, invf_model** out) {
  return guarded([&] {
    require(path, "path");
    require(out, "out");
    *out = make_model_handle(ModelFile::open(path),
                             options_for(options, "invf_model_load", kForecastDomain))
               .release();
  });
}

invf_status* invf_model_load_buffer(const void* data, size_t size, const invf_options* options,
                                    invf_model** out) {
  return guarded([&] {
    require(data, "data");
    require(out, "out");
    const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(data), size);
    *out = make_model_handle(ModelFile::from_buffer(bytes, BufferMode::Copy),
                             options_for(options, "invf_model_load_buffer", kForecastDomain))
               .release();
  });
}

void invf_model_release(invf_model* model) { delete model; }

invf_status* invf_model_config_int(const invf_model* model, const char* key, int64_t* out) {
  return guarded([&] {
    const invf_model& m = model_ref(model);
    require(key, "key");
    require(out, "out");
    *out = config_value(m, key);
  });
}

invf_status* invf_model_quantile_levels(const invf_model* model, double* buffer,
                                        size_t capacity) {
  return guarded([&] {
    const invf_model& m = model_ref(model);
    require(buffer, "buffer");
    const std::vector<double>& levels = m.runtime->model().config().quantiles;
    require_capacity(capacity, levels.size(), "the quantile levels");
    std::copy(levels.begin(), levels.end(), buffer);
  });
}

invf_status* invf_model_feature_count(const invf_model* model, uint64_t* out) {
  return guarded([&] {
    const invf_model& m = model_ref(model);
    require(out, "out");
    *out = m.runtime->model().file().metadata().features.size();
  });
}

invf_status* invf_model_feature(const invf_model* model, uint64_t index, const char** name,
                                const char** kind, const char** role) {
  return guarded([&] {
    const std::vector<FeatureSpec>& features = model_ref(model).runtime->model().file().metadata().features;
    if (index >= features.size())
      fail(ErrorCode::InvalidArgument, "feature index {} is out of range (the model has {})", index,
           features.size());
    const FeatureSpec& f = features[index];
    // to_string gives views of string literals: NUL-terminated and static.
    if (name) *name = f.name.c_str();
    if (kind) *kind = to_string(f.kind).data();
    if (role) *role = to_string(f.role).data();
  });
}

invf_status* invf_model_forecast(const invf_model* model, const float* context, size_t batch,
                                 size_t context_length, float* out, size_t out_capacity) {
  return guarded([&] {
    const invf_model& m = model_ref(model);
    const EncoderModel& encoder = m.runtime->model();
    if (encoder.has_covariates())
      fail(ErrorCode::Unsupported,
           "this model reads covariates ({} features), which raw arrays do not carry: forecast it "
           "from a dataset (invf_forecaster_create_model)",
           encoder.file().metadata().features.size());
    const auto expected_length = static_cast<size_t>(encoder.config().context_length);
    if (context_length != expected_length)
      fail(ErrorCode::InvalidArgument,
           "context_length {} does not match the model's context of {} days (pad or cut the "
           "history to exactly that length)",
           context_length, expected_length);
    if (batch == 0) return;
    require(context, "context");
    require(out, "out");
    // Both arrays must be addressable: sizes past that are caller mistakes, not allocations.
    const size_t inputs = checked_product(batch, context_length, "batch x context_length");
    const size_t outputs = checked_product(
        batch, static_cast<size_t>(encoder.outputs_per_series()), "batch x horizon x quantiles");
    constexpr size_t max_floats = std::numeric_limits<ptrdiff_t>::max() / sizeof(float);
    if (inputs > max_floats || outputs > max_floats)
      fail(ErrorCode::InvalidArgument, "batch {} is too large for this address space", batch);
    require_capacity(out_capacity, outputs, "the forecast (batch * horizon * quantile_count)");
    check_model_context(context, batch, context_length);
    require_forecasting_model(*m.runtime);
    m.runtime->forecast(m.threads, context, static_cast<int64_t>(batch), out);
  });
}

}  // extern "C"
