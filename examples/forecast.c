/*
 * forecast.c: forecasting daily sales through the C ABI of libinvforecast.
 *
 * Usage: forecast_c_example [DATA.csv[.gz]] [HORIZON]
 * Loads a long CSV (series_id,date,value,...), forecasts every series with
 * "ets" and with "snaive", and prints the first days of the first series.
 * Every call's status is checked; an error is printed and the program exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "invforecast.h"

#ifndef INVF_EXAMPLE_DATA
#define INVF_EXAMPLE_DATA "data/m5_tiny_long.csv.gz"
#endif

/* Prints and frees a failed status; returns 1 if the call failed. */
static int failed(invf_status* status, const char* what) {
  if (status == NULL) return 0;
  fprintf(stderr, "forecast_c_example: %s failed (code %d): %s\n", what,
          (int)invf_status_code(status), invf_status_message(status));
  invf_status_release(status);
  return 1;
}

/* Forecasts `dataset` with `method` and prints up to `rows` days of series 0. */
static int forecast_with(const invf_dataset* dataset, const char* method, size_t horizon,
                         size_t rows) {
  invf_options* options = NULL;
  invf_forecaster* forecaster = NULL;
  invf_forecast* forecast = NULL;
  double* mean = NULL;
  double* quantiles = NULL;
  double levels[32];
  size_t series_count = 0, quantile_count = 0, warnings = 0;
  const char *series_id = NULL, *used_method = NULL, *interval_method = NULL;
  char start[INVF_DATE_BUFFER];
  int rc = 1;

  if (failed(invf_options_create(&options), "invf_options_create")) goto done;
  if (failed(invf_options_set(options, "quantiles", "0.1,0.5,0.9"), "invf_options_set")) goto done;
  if (failed(invf_forecaster_create(method, options, &forecaster), "invf_forecaster_create"))
    goto done;
  if (failed(invf_forecaster_forecast(forecaster, dataset, horizon, &forecast),
             "invf_forecaster_forecast"))
    goto done;
  if (failed(invf_forecast_series_count(forecast, &series_count), "invf_forecast_series_count") ||
      failed(invf_forecast_quantile_count(forecast, &quantile_count),
             "invf_forecast_quantile_count") ||
      failed(invf_forecast_quantile_levels(forecast, levels, 32), "invf_forecast_quantile_levels") ||
      failed(invf_forecast_warning_count(forecast, &warnings), "invf_forecast_warning_count") ||
      failed(invf_forecast_series_id(forecast, 0, &series_id), "invf_forecast_series_id") ||
      failed(invf_forecast_start_date(forecast, 0, start), "invf_forecast_start_date") ||
      failed(invf_forecast_method(forecast, 0, &used_method, &interval_method),
             "invf_forecast_method"))
    goto done;

  mean = malloc(horizon * sizeof(double));
  quantiles = malloc(horizon * quantile_count * sizeof(double));
  if (mean == NULL || quantiles == NULL) {
    fprintf(stderr, "forecast_c_example: out of memory\n");
    goto done;
  }
  if (failed(invf_forecast_mean(forecast, 0, mean, horizon), "invf_forecast_mean") ||
      failed(invf_forecast_quantiles(forecast, 0, quantiles, horizon * quantile_count),
             "invf_forecast_quantiles"))
    goto done;

  printf("method %s: %zu series, horizon %zu, %zu warnings\n", method, series_count, horizon,
         warnings);
  printf("series %s from %s by %s (%s)\n", series_id, start, used_method, interval_method);
  printf("day  mean");
  for (size_t q = 0; q < quantile_count; ++q) printf("  q%g", levels[q]);
  printf("\n");
  for (size_t d = 0; d < rows && d < horizon; ++d) {
    printf("%3zu  %.3f", d + 1, mean[d]);
    for (size_t q = 0; q < quantile_count; ++q) printf("  %.3f", quantiles[d * quantile_count + q]);
    printf("\n");
  }
  rc = 0;

done:
  free(mean);
  free(quantiles);
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_options_release(options);
  return rc;
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : INVF_EXAMPLE_DATA;
  const size_t horizon = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 28;
  const char* version = NULL;
  int abi = -1;
  invf_dataset* dataset = NULL;
  size_t series_count = 0;
  int rc = 1;

  invf_version(&version, &abi);
  printf("libinvforecast %s (ABI %d)\n", version, abi);
  if (abi != INVF_ABI_VERSION) {
    fprintf(stderr, "forecast_c_example: header ABI %d, library ABI %d\n", INVF_ABI_VERSION, abi);
    return 1;
  }

  if (failed(invf_dataset_load_csv(path, NULL, &dataset), "invf_dataset_load_csv")) return 1;
  if (failed(invf_dataset_series_count(dataset, &series_count), "invf_dataset_series_count"))
    goto done;
  printf("loaded %s: %zu series\n", path, series_count);

  if (forecast_with(dataset, "ets", horizon, 7) != 0) goto done;
  if (forecast_with(dataset, "snaive", horizon, 7) != 0) goto done;
  rc = 0;

done:
  invf_dataset_release(dataset);
  return rc;
}
