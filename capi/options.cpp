// invf_options: key/value settings and the progress callback.
#include <new>

#include "boundary.hpp"
#include "handles.hpp"

namespace invforecast::capi {

static_assert(INVF_DOMAIN_DATA == kDataDomain && INVF_DOMAIN_FORECAST == kForecastDomain &&
              INVF_DOMAIN_TRAIN == kTrainDomain && INVF_DOMAIN_INVENTORY == kInventoryDomain &&
              INVF_DOMAIN_SIMULATION == kSimulationDomain);

const Options& options_for(const invf_options* options, const char* call, OptionDomains domains) {
  static const Options defaults;
  if (options == nullptr) return defaults;
  options->options.require_domains(call, domains);
  return options->options;
}

}  // namespace invforecast::capi

using invforecast::option_domains;
using invforecast::capi::guarded;
using invforecast::capi::require;

extern "C" {

invf_status* invf_options_create(invf_options** out) {
  return guarded([&] {
    require(out, "out");
    *out = new invf_options{};
  });
}

void invf_options_release(invf_options* options) { delete options; }

invf_status* invf_options_set(invf_options* options, const char* key, const char* value) {
  return guarded([&] {
    require(options, "options");
    require(key, "key");
    require(value, "value");
    options->options.set(key, value);
  });
}

invf_status* invf_option_domains(const char* key, uint32_t* out) {
  return guarded([&] {
    require(key, "key");
    require(out, "out");
    *out = option_domains(key);
  });
}

invf_status* invf_options_set_progress(invf_options* options, invf_progress_fn fn,
                                       void* user_data) {
  return guarded([&] {
    require(options, "options");
    if (fn == nullptr) {
      options->options.progress = nullptr;
      return;
    }
    options->options.progress = [fn, user_data](std::string_view stage, size_t done,
                                                size_t total) {
      // A copy, because a string_view need not be NUL-terminated.
      return fn(user_data, std::string(stage).c_str(), done, total) == 0;
    };
  });
}

}  // extern "C"
