// ETS: admissibility test, likelihood fit on simulated series with known
// form and parameters, forecasts, intervals.
#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <random>

#include "methods/ets.hpp"
#include "methods/forecaster.hpp"

using namespace invforecast;

namespace {

// Largest root modulus of R's admissibility polynomial, by the companion
// matrix's eigenvalues: an independent check of the Schur-Cohn test.
double largest_root(double alpha, double beta, double gamma, double phi, size_t m) {
  std::vector<double> c = {phi * (1 - alpha - gamma), alpha + beta - alpha * phi + gamma - 1};
  for (size_t k = 2; k < m; ++k) c.push_back(alpha + beta - alpha * phi);
  c.push_back(alpha + beta - phi);
  c.push_back(1.0);
  const size_t degree = c.size() - 1;
  Eigen::MatrixXd companion = Eigen::MatrixXd::Zero(static_cast<long>(degree), static_cast<long>(degree));
  for (size_t i = 1; i < degree; ++i) companion(static_cast<long>(i), static_cast<long>(i - 1)) = 1.0;
  for (size_t i = 0; i < degree; ++i) companion(static_cast<long>(i), static_cast<long>(degree - 1)) = -c[i];
  return companion.eigenvalues().cwiseAbs().maxCoeff();
}

// Simulates ETS(A,N,A): y_t = l + s_t + e_t with the usual error-correction updates.
std::vector<double> simulate_ana(std::mt19937& rng, size_t n, double alpha, double gamma,
                                 double sigma, double level, std::vector<double> season,
                                 double* final_level, std::vector<double>* final_season) {
  std::normal_distribution<double> noise(0.0, sigma);
  std::vector<double> y(n);
  const size_t m = season.size();
  for (size_t t = 0; t < n; ++t) {
    const double e = noise(rng);
    y[t] = level + season[t % m] + e;
    level += alpha * e;
    season[t % m] += gamma * e;
  }
  *final_level = level;
  *final_season = season;
  return y;
}

}  // namespace

TEST_CASE("seasonal admissibility agrees with the polynomial's roots", "[ets]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  size_t agree = 0, total = 0, admissible_count = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const double alpha = unit(rng);
    const double beta = trial % 2 ? unit(rng) * alpha : 0.0;
    const double gamma = unit(rng) * (1.0 - alpha) * 1.6;  // also outside the usual region
    const double phi = trial % 3 ? 0.8 + 0.2 * unit(rng) : 1.0;
    const double root = largest_root(alpha, beta, gamma, phi, 7);
    if (std::abs(root - 1.0) < 1e-5) continue;  // too close to call for either method
    const bool expected = root < 1.0;
    admissible_count += expected;
    agree += ets_seasonal_admissible(alpha, beta, gamma, phi, 7) == expected;
    ++total;
  }
  CHECK(agree == total);
  CHECK(admissible_count > total / 10);
  CHECK(admissible_count < total);
  // No trend, no damping: the unit root at z = 1 is accepted, as in R.
  CHECK(ets_seasonal_admissible(0.3, 0.0, 0.1, 1.0, 7));
}

TEST_CASE("ETS recovers a simulated additive seasonal series", "[ets]") {
  std::mt19937 rng(11);
  const std::vector<double> season = {-12, -6, 0, 3, 5, 4, 6};
  double level = 0.0;
  std::vector<double> final_season;
  const std::vector<double> y = simulate_ana(rng, 700, 0.15, 0.05, 2.0, 60.0, season, &level, &final_season);
  const EtsFit fit = fit_ets_auto(y, 7);
  INFO("chosen " << fit.spec.name() << " alpha " << fit.alpha << " gamma " << fit.gamma);
  CHECK(fit.spec.season != EtsSeason::None);
  CHECK(fit.spec.trend == EtsTrend::None);
  // Estimates from one path of 700 days: alpha's standard error is about 0.025 (margin ~2.5 of
  // them), sigma2's relative one sqrt(2 / 700) = 0.053 (15% ~3 of them).
  CHECK(fit.alpha == Approx(0.15).margin(0.06));
  CHECK(fit.sigma2 == Approx(4.0).epsilon(0.15));
  // Forecasts close to the true conditional mean level + season: the estimated level is off by
  // about sigma sqrt(alpha / (2 - alpha)) = 0.56, the seasonal states by less; 2.5 is ~4 of that.
  const std::vector<double> forecast = ets_point_forecast(fit, 14);
  for (size_t h = 0; h < 14; ++h) {
    const double truth = level + final_season[(y.size() + h) % 7];
    CHECK(forecast[h] == Approx(truth).margin(2.5));
  }
  // Fitting the true form directly gives the same or a better likelihood
  // than the data's AICc winner needed.
  const EtsFit ana = fit_ets_model(y, {EtsError::Additive, EtsTrend::None, EtsSeason::Additive}, 7);
  CHECK(ana.gamma == Approx(0.05).margin(0.05));  // gamma is poorly identified: only its range
  CHECK(ana.parameters == 1 + 1 + 1 + 6 + 1);
}

TEST_CASE("ETS picks a trend for a trending series and no season without one", "[ets]") {
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> y(300);
  for (size_t t = 0; t < y.size(); ++t) y[t] = 20.0 + 0.5 * static_cast<double>(t) + noise(rng);
  const EtsFit fit = fit_ets_auto(y, 7);
  INFO("chosen " << fit.spec.name());
  CHECK(fit.spec.trend != EtsTrend::None);
  CHECK(fit.spec.season == EtsSeason::None);
  const std::vector<double> forecast = ets_point_forecast(fit, 10);
  // Noise sd 1: the fitted level and slope put the 10th day within about 1 of the line; 4 leaves
  // room for a damped trend's shortfall.
  CHECK(forecast[9] == Approx(20.0 + 0.5 * 309.0).margin(4.0));
}

TEST_CASE("ETS considers multiplicative forms only for positive data", "[ets]") {
  std::vector<double> positive(60, 5.0), with_zero(60, 5.0);
  for (size_t t = 0; t < 60; ++t) positive[t] = with_zero[t] = 5.0 + static_cast<double>(t % 7);
  with_zero[30] = 0.0;
  auto has_multiplicative = [](const std::vector<EtsSpec>& specs) {
    for (const auto& spec : specs)
      if (spec.error == EtsError::Multiplicative || spec.season == EtsSeason::Multiplicative) return true;
    return false;
  };
  CHECK(ets_candidate_specs(positive, 7).size() == 15);
  CHECK(has_multiplicative(ets_candidate_specs(positive, 7)));
  CHECK(ets_candidate_specs(with_zero, 7).size() == 6);
  CHECK_FALSE(has_multiplicative(ets_candidate_specs(with_zero, 7)));
  // Shorter than three seasons: non-seasonal forms only.
  CHECK(ets_candidate_specs(std::vector<double>(20, 1.0), 7).size() == 6);
}

TEST_CASE("ETS class-1 standard deviation follows the closed form", "[ets]") {
  EtsFit fit;
  fit.spec = {EtsError::Additive, EtsTrend::Damped, EtsSeason::Additive};
  fit.period = 7;
  fit.alpha = 0.3;
  fit.beta = 0.1;
  fit.gamma = 0.2;
  fit.phi = 0.9;
  fit.sigma2 = 4.0;
  const std::vector<double> sd = ets_class1_sd(fit, 9);
  double sum = 0.0, phi_sum = 0.0;
  for (size_t h = 1; h <= 9; ++h) {
    CHECK(sd[h - 1] == Approx(std::sqrt(4.0 * (1.0 + sum))));
    phi_sum += std::pow(0.9, static_cast<double>(h));
    const double c = 0.3 + 0.1 * phi_sum + (h % 7 == 0 ? 0.2 : 0.0);
    sum += c * c;
  }
}

TEST_CASE("ETS names and a constant series", "[ets]") {
  CHECK(EtsSpec{EtsError::Multiplicative, EtsTrend::Damped, EtsSeason::Additive}.name() == "ETS(M,Ad,A)");
  const EtsFit fit = fit_ets_auto(std::vector<double>(40, 3.0), 7);
  CHECK(fit.spec.name() == "ETS(A,N,N)");
  CHECK(ets_point_forecast(fit, 3) == std::vector<double>{3.0, 3.0, 3.0});
  ForecastOptions options;
  const SeriesForecast f = make_forecaster("ets", options)->forecast(std::vector<double>(40, 3.0), 2);
  CHECK(f.interval_method == "analytic normal");
  CHECK(f.quantiles == std::vector<double>(18, 3.0));
}
