// invf_forecast_load_csv: an invf_forecast rebuilt from the CSV that
// invf_forecast_write_csv writes (lib/methods/dataset_forecast.hpp).
#include "boundary.hpp"
#include "handles.hpp"

extern "C" {

invf_status* invf_forecast_load_csv(const char* path, invf_forecast** out) {
  return invforecast::capi::guarded([&] {
    invforecast::capi::require(path, "path");
    invforecast::capi::require(out, "out");
    *out = new invf_forecast{invforecast::read_forecast_csv(path)};
  });
}

}  // extern "C"
