// Factories of the built-in methods, used by make_forecaster()'s registry.
#pragma once

#include <memory>

#include "core/options.hpp"
#include "methods/forecaster.hpp"

namespace invforecast {

std::unique_ptr<Forecaster> make_naive(const ForecastOptions& options);
std::unique_ptr<Forecaster> make_seasonal_naive(const ForecastOptions& options);
std::unique_ptr<Forecaster> make_moving_average(const ForecastOptions& options);
std::unique_ptr<Forecaster> make_croston(const ForecastOptions& options);
std::unique_ptr<Forecaster> make_sba(const ForecastOptions& options);
std::unique_ptr<Forecaster> make_tsb(const ForecastOptions& options);
std::unique_ptr<Forecaster> make_ets(const ForecastOptions& options);
std::unique_ptr<Forecaster> make_auto(const ForecastOptions& options);
// Without a model (ensemble.hpp has the one with).
std::unique_ptr<Forecaster> make_ensemble(const ForecastOptions& options);

}  // namespace invforecast
