// invf_explanation: the attention and the attributions of one series' model forecast.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "boundary.hpp"
#include "handles.hpp"
#include "methods/explain.hpp"

struct invf_explanation {
  invforecast::Explanation explanation;
  std::vector<std::string> features;  // each group's, comma-separated
  std::string json;
};

namespace invforecast::capi {
namespace {

const Explanation& explanation_ref(const invf_explanation* explanation) {
  require(explanation, "explanation");
  return explanation->explanation;
}

// The values `level` (a quantile index or INVF_EXPLAIN_MEAN) reads: the means, or the
// quantiles day-major.
const std::vector<double>& checked_level(const Explanation& e, const ExplainedValues& values,
                                         int64_t level) {
  if (level == INVF_EXPLAIN_MEAN) return values.mean;
  if (level < 0 || static_cast<size_t>(level) >= e.levels.size())
    fail(ErrorCode::InvalidArgument,
         "level {} is out of range: a quantile index below {} or INVF_EXPLAIN_MEAN (-1)", level,
         e.levels.size());
  return values.quantiles;
}

// The horizon values of `level` into buffer.
void copy_level(const Explanation& e, const ExplainedValues& values, int64_t level, double* buffer,
                uint64_t capacity, const char* what) {
  const std::vector<double>& source = checked_level(e, values, level);
  require_capacity(capacity, e.horizon, what);
  if (level == INVF_EXPLAIN_MEAN) {
    std::copy(source.begin(), source.end(), buffer);
    return;
  }
  const size_t levels = e.levels.size();
  for (size_t d = 0; d < e.horizon; ++d)
    buffer[d] = source[d * levels + static_cast<size_t>(level)];
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_explain(const invf_model* model, const invf_dataset* dataset,
                          const char* series_id, uint64_t horizon, const invf_options* options,
                          invf_explanation** out) {
  return guarded([&] {
    require(model, "model");
    require(dataset, "dataset");
    require(series_id, "series_id");
    require(out, "out");
    const Options& settings = options_for(options, "invf_explain", kForecastDomain);
    const std::shared_ptr<const ModelRuntime> runtime =
        runtime_on(*model, settings.forecast.backend);
    auto handle = std::make_unique<invf_explanation>();
    handle->explanation = explain_series(*runtime, built_dataset(*dataset), series_id,
                                         static_cast<size_t>(std::min<uint64_t>(horizon, SIZE_MAX)),
                                         settings.forecast);
    for (const ExplanationGroup& group : handle->explanation.groups) {
      std::string joined;
      for (const std::string& feature : group.features)
        joined += (joined.empty() ? "" : ",") + feature;
      handle->features.push_back(std::move(joined));
    }
    handle->json = explanation_to_json(handle->explanation);
    *out = handle.release();
  });
}

void invf_explanation_release(invf_explanation* explanation) { delete explanation; }

invf_status* invf_explanation_dims(const invf_explanation* explanation, uint64_t* horizon,
                                   uint64_t* quantile_count, uint64_t* group_count,
                                   uint64_t* layers, uint64_t* patches) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    if (horizon) *horizon = e.horizon;
    if (quantile_count) *quantile_count = e.levels.size();
    if (group_count) *group_count = e.groups.size();
    if (layers) *layers = static_cast<uint64_t>(e.layers);
    if (patches) *patches = static_cast<uint64_t>(e.tokens);
  });
}

invf_status* invf_explanation_start_date(const invf_explanation* explanation,
                                         char out[INVF_DATE_BUFFER]) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    require(out, "out");
    format_iso_date(e.first_day, out);
  });
}

invf_status* invf_explanation_warning(const invf_explanation* explanation, const char** out) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    require(out, "out");
    *out = e.warning.c_str();
  });
}

invf_status* invf_explanation_forecast(const invf_explanation* explanation, int64_t level,
                                       double* forecast, double* baseline, uint64_t capacity) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    // Both checked before either is written: out-parameters stay untouched on failure.
    checked_level(e, e.forecast, level);
    if (forecast || baseline) require_capacity(capacity, e.horizon, "the explained days (horizon)");
    if (forecast) copy_level(e, e.forecast, level, forecast, capacity, "the forecast (horizon)");
    if (baseline) copy_level(e, e.baseline, level, baseline, capacity, "the baseline (horizon)");
  });
}

invf_status* invf_explanation_group(const invf_explanation* explanation, uint64_t group,
                                    const char** name, const char** kind, const char** features,
                                    const char** baseline) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    require_index(group, e.groups.size(), "group");
    const ExplanationGroup& g = e.groups[group];
    // to_string gives views of string literals: NUL-terminated and static.
    if (name) *name = g.name.c_str();
    if (kind) *kind = to_string(g.kind).data();
    if (features) *features = explanation->features[group].c_str();
    if (baseline) *baseline = g.baseline.c_str();
  });
}

invf_status* invf_explanation_attribution(const invf_explanation* explanation, uint64_t group,
                                          int64_t level, double* buffer, uint64_t capacity) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    require_index(group, e.groups.size(), "group");
    require(buffer, "buffer");
    copy_level(e, e.groups[group].attribution, level, buffer, capacity,
               "the attribution (horizon)");
  });
}

invf_status* invf_explanation_attention(const invf_explanation* explanation, double* buffer,
                                        uint64_t capacity) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    require(buffer, "buffer");
    require_capacity(capacity, e.attention.size(), "the attention (layers * patches)");
    std::copy(e.attention.begin(), e.attention.end(), buffer);
  });
}

invf_status* invf_explanation_patch(const invf_explanation* explanation, uint64_t patch,
                                    char first[INVF_DATE_BUFFER], char last[INVF_DATE_BUFFER],
                                    uint64_t* padding_days) {
  return guarded([&] {
    const Explanation& e = explanation_ref(explanation);
    require_index(patch, e.patch_first.size(), "patch");
    if (first) format_iso_date(e.patch_first[patch], first);
    if (last) format_iso_date(e.patch_last[patch], last);
    if (padding_days) *padding_days = static_cast<uint64_t>(e.patch_padding[patch]);
  });
}

invf_status* invf_explanation_to_json(const invf_explanation* explanation, char* buffer,
                                      size_t capacity, size_t* needed) {
  return guarded([&] {
    explanation_ref(explanation);
    const std::string& json = explanation->json;  // with its NUL
    copy_to_caller(json.c_str(), json.size() + 1, buffer, capacity, needed, "the JSON explanation");
  });
}

}  // extern "C"
