// Exponential smoothing state-space models (ETS) fitted as R's
// forecast::ets does: maximum likelihood ("lik"), parameters inside both the
// usual and the admissible region ("both"), R's starting values (initial
// states from its decomposition heuristic), and the model chosen by AICc over
// every admissible error/trend/season combination (multiplicative error and
// season only for strictly positive data, no multiplicative trend, damping
// tried).  One difference in the search, not the model: for the linear forms
// (additive error, additive or no season) the initial states are solved
// exactly by least squares for each candidate of the smoothing parameters,
// which Nelder-Mead then searches alone; R searches states and parameters
// together.  Multiplicative forms are searched jointly, as in R; during
// selection they start from the fitted additive-error form with the same
// trend (the state equations are the same) rather than from R's start.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace invforecast {

enum class EtsError { Additive, Multiplicative };
enum class EtsTrend { None, Additive, Damped };
enum class EtsSeason { None, Additive, Multiplicative };

struct EtsSpec {
  EtsError error = EtsError::Additive;
  EtsTrend trend = EtsTrend::None;
  EtsSeason season = EtsSeason::None;
  // R's notation, e.g. "ETS(M,Ad,A)".
  std::string name() const;
};

struct EtsFit {
  EtsSpec spec;
  size_t period = 1;  // season length; 1 for non-seasonal models
  double alpha = 0.0, beta = 0.0, gamma = 0.0, phi = 1.0;
  // Initial states (time 0) and final states (after the last observation).
  // Seasonal states are stored by position in the cycle: season[t % period]
  // is the factor of day t, for the initial and for the final states alike.
  double initial_level = 0.0, initial_slope = 0.0;
  std::vector<double> initial_season;
  double level = 0.0, slope = 0.0;
  std::vector<double> season;
  size_t observations = 0;
  size_t parameters = 0;    // estimated: smoothing, initial states, and sigma
  double neg2_loglik = 0.0; // R's "lik": n log(SSE) (+ 2 sum log|f| for M error)
  double aic = 0.0, aicc = 0.0, bic = 0.0;
  double sigma2 = 0.0;      // sum of squared residuals / (n - parameters + 1), as R
  size_t evaluations = 0;   // likelihood evaluations spent by the optimiser
};

// Fits one model form; the result has infinite AIC/AICc/BIC when the form
// cannot be fitted (too few observations, no admissible start).
EtsFit fit_ets_model(std::span<const double> y, const EtsSpec& spec, size_t period);

// Fits every admissible form and returns the one with the lowest AICc.
// Seasonal forms need period in [2, 24] and at least 3 full periods.
EtsFit fit_ets_auto(std::span<const double> y, size_t period);

// The forms fit_ets_auto() considers for these data.
std::vector<EtsSpec> ets_candidate_specs(std::span<const double> y, size_t period);

// Point forecasts (the model's mean for additive-error and additive-season
// forms, the usual point forecast otherwise) for days 1..horizon.
std::vector<double> ets_point_forecast(const EtsFit& fit, size_t horizon);

// Standard deviation of the h-step forecast error of an additive-error model
// with additive (or no) trend and season (Hyndman et al. 2008, class 1):
// var(h) = sigma2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta phi_j + gamma [j % m == 0].
std::vector<double> ets_class1_sd(const EtsFit& fit, size_t horizon);

// True when every root of the characteristic polynomial R's admissibility
// check builds for a seasonal model lies in the closed unit disk.
bool ets_seasonal_admissible(double alpha, double beta, double gamma, double phi, size_t period);

}  // namespace invforecast
