// invf_text_model: a sentence encoder (lib/text) from UTF-8 texts to embeddings, and its token ids.
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "boundary.hpp"
#include "handles.hpp"
#include "text/text_model.hpp"

struct invf_text_model {
  std::unique_ptr<const invforecast::text::TextModel> model;
  int threads = 0;
};

namespace invforecast::capi {

namespace {

invf_text_model* make_text_model(text::TextModelFile file, const Options& options) {
  auto handle = std::make_unique<invf_text_model>();
  handle->model = std::make_unique<const text::TextModel>(std::move(file),
                                                          kernels::backend_of(options.forecast.backend));
  handle->threads = options.forecast.threads;
  return handle.release();
}

const text::TextModel& text_model_ref(const invf_text_model* model) {
  require(model, "model");
  return *model->model;
}

// The caller's text `index`: NUL-terminated when lengths is NULL.
std::string_view text_at(const char* const* texts, const size_t* lengths, size_t index) {
  if (texts[index] == nullptr) fail(ErrorCode::NullPointer, "argument 'texts[{}]' is NULL", index);
  return lengths ? std::string_view(texts[index], lengths[index]) : std::string_view(texts[index]);
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_text_model_load(const char* path, const invf_options* options, invf_text_model** out) {
  return guarded([&] {
    require(path, "path");
    require(out, "out");
    *out = make_text_model(text::TextModelFile::open(path),
                           options_for(options, "invf_text_model_load", kForecastDomain));
  });
}

invf_status* invf_text_model_load_buffer(const void* data, size_t size, const invf_options* options,
                                         invf_text_model** out) {
  return guarded([&] {
    require(data, "data");
    require(out, "out");
    const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(data), size);
    *out = make_text_model(text::TextModelFile::from_buffer(bytes, BufferMode::Copy),
                           options_for(options, "invf_text_model_load_buffer", kForecastDomain));
  });
}

void invf_text_model_release(invf_text_model* model) { delete model; }

invf_status* invf_text_model_dim(const invf_text_model* model, uint64_t* out) {
  return guarded([&] {
    const text::TextModel& m = text_model_ref(model);
    require(out, "out");
    *out = static_cast<uint64_t>(m.dim());
  });
}

invf_status* invf_text_model_max_tokens(const invf_text_model* model, uint64_t* out) {
  return guarded([&] {
    const text::TextModel& m = text_model_ref(model);
    require(out, "out");
    *out = static_cast<uint64_t>(m.encoder().model().config().max_seq_length);
  });
}

invf_status* invf_text_model_embed(const invf_text_model* model, const char* const* texts, const size_t* lengths,
                                   size_t count, float* out, size_t out_capacity) {
  return guarded([&] {
    const text::TextModel& m = text_model_ref(model);
    if (count == 0) return;
    require(texts, "texts");
    require(out, "out");
    require_capacity(out_capacity, count * static_cast<size_t>(m.dim()), "the embeddings");
    std::vector<std::string_view> views;
    views.reserve(count);
    for (size_t i = 0; i < count; ++i) views.push_back(text_at(texts, lengths, i));
    m.embed(views, std::span<float>(out, out_capacity), model->threads);
  });
}

invf_status* invf_text_model_tokenize(const invf_text_model* model, const char* text, size_t length,
                                      int32_t* ids, size_t capacity, size_t* count) {
  return guarded([&] {
    const text::TextModel& m = text_model_ref(model);
    require(text, "text");
    require(count, "count");
    if (ids == nullptr && capacity > 0) require(ids, "ids");
    const std::vector<int32_t> tokens = m.tokenizer().encode(std::string_view(text, length));
    if (ids != nullptr) {
      require_capacity(capacity, tokens.size(), "the token ids");
      std::memcpy(ids, tokens.data(), tokens.size() * sizeof(int32_t));
    }
    *count = tokens.size();
  });
}

}  // extern "C"
