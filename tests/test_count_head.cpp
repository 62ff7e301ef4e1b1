// The negative binomial head (layers/negbin_head.hpp, docs/count_head.md): its quantiles and CDF
// against a plain sum of the pmf in float64, its log-likelihood and gradient against the pmf and
// finite differences, the link's backward against finite differences, the model file's "head"
// key, the encoder's forecast (whole, non-crossing quantiles and the mean) and training.  The
// PyTorch parity fixture (model "negbin") is tests/test_encoder.cpp's; the whole model's
// gradients are tests/test_train_grad.cpp's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "error.hpp"
#include "layers/negbin_head.hpp"
#include "model/encoder.hpp"
#include "train/loss.hpp"
#include "train/parameters.hpp"
#include "train/random.hpp"
#include "train/trainable_encoder.hpp"
#include "train/training_run.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using namespace invforecast::layers;
using invforecast::train::Random;

namespace {

// P(Y = k) for k = 0, 1, ... by the recurrence p(k + 1) = p(k) (k + r) / (k + 1) * mu / (r + mu)
// from p(0) = (r / (r + mu))^r, summed in float64: independent of the betainc-based CDF.
struct PmfSum {
  PmfSum(double mu, double alpha) : r(1.0 / alpha), mu(mu), p(std::pow(r / (r + mu), r)), cdf(p) {}
  void next() {
    p *= (static_cast<double>(k) + r) / (static_cast<double>(k) + 1.0) * mu / (r + mu);
    cdf += p;
    ++k;
  }
  double r, mu, p, cdf;
  int64_t k = 0;
};

double pmf_quantile(double mu, double alpha, double level) {
  PmfSum sum(mu, alpha);
  while (sum.cdf < level) sum.next();
  return static_cast<double>(sum.k);
}

const std::vector<double> kLevels = {0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5,
                                     0.6,  0.7,  0.8, 0.9, 0.95, 0.99};

}  // namespace

TEST_CASE("negative binomial quantiles and CDF match a sum of the pmf", "[negbin]") {
  // From nearly Poisson to heavily over-dispersed, from almost no sales to 900 a day.  (Not
  // mu = 1 / alpha = 1000: there the median's CDF is exactly 1/2, I_{1/2}(a, a), a tie that the
  // float64 sum, 2e-13 off, settles the other way.)
  for (double mu : {1e-3, 0.3, 2.5, 40.0, 900.0})
    for (double alpha : {1e-3, 0.2, 1.0, 5.0}) {
      INFO("mu " << mu << " alpha " << alpha);
      std::vector<float> q(kLevels.size());
      negbin_quantiles(mu, alpha, kLevels, q.data());
      for (size_t j = 0; j < kLevels.size(); ++j) {
        INFO("level " << kLevels[j]);
        CHECK(q[j] == pmf_quantile(mu, alpha, kLevels[j]));
      }
      // The CDF itself, at the pmf sum's first 50 counts: float64 sums and the incomplete beta
      // function agree to ~1e-13; 1e-10 leaves room for mu = 1000's longer sums.
      PmfSum sum(mu, alpha);
      for (int i = 0; i < 50; ++i, sum.next())
        CHECK(std::abs(negbin_cdf(sum.k, mu, alpha) - sum.cdf) < 1e-10);
      CHECK(negbin_cdf(-1, mu, alpha) == 0.0);
    }
}

TEST_CASE("negative binomial quantiles are whole, non-negative and never cross", "[negbin]") {
  Random random(7);
  for (int i = 0; i < 2000; ++i) {
    const double mu = std::exp(random.uniform(-8.0, 9.0)), alpha = std::exp(random.uniform(-6.0, 3.0));
    std::vector<double> q(kLevels.size());
    negbin_quantiles(mu, alpha, kLevels, q.data());
    for (size_t j = 0; j < q.size(); ++j) {
      INFO("mu " << mu << " alpha " << alpha << " level " << kLevels[j]);
      REQUIRE(q[j] >= 0.0);
      REQUIRE(q[j] == std::floor(q[j]));
      if (j > 0) REQUIRE(q[j] >= q[j - 1]);
      // The definition: the smallest count whose CDF reaches the level.
      REQUIRE(negbin_cdf(static_cast<int64_t>(q[j]), mu, alpha) >= kLevels[j]);
      REQUIRE(negbin_cdf(static_cast<int64_t>(q[j]) - 1, mu, alpha) < kLevels[j]);
    }
  }
}

TEST_CASE("negative binomial log-likelihood matches the pmf, its gradient finite differences",
          "[negbin][grad]") {
  for (double mu : {0.05, 1.7, 30.0})
    for (double alpha : {2e-3, 0.4, 3.0}) {
      PmfSum sum(mu, alpha);
      for (; sum.k <= 12; sum.next()) {
        INFO("y " << sum.k << " mu " << mu << " alpha " << alpha);
        const NegBinLogLikelihood ll = negbin_log_likelihood(static_cast<double>(sum.k), mu, alpha);
        CHECK(ll.value == Approx(std::log(sum.p)).epsilon(1e-10));
      }
      // Central differences in float64.  mu: relative step 1e-6, truncation ~1e-12, rounding
      // ~1e-10 relative.  alpha: relative step 1e-4, since lgamma(r) of r = 1 / alpha = 500 is
      // ~2600 and its rounding (~3e-13) over a step of 2 alpha 1e-4 leaves ~1e-6 absolute;
      // truncation ~1e-8 relative.  A wrong term is off by O(1).
      for (double y : {0.0, 1.0, 2.5, 17.0}) {
        INFO("y " << y << " mu " << mu << " alpha " << alpha);
        const NegBinLogLikelihood ll = negbin_log_likelihood(y, mu, alpha);
        const double hm = 1e-6 * mu, ha = 1e-4 * alpha;
        const double d_mu = (negbin_log_likelihood(y, mu + hm, alpha).value -
                             negbin_log_likelihood(y, mu - hm, alpha).value) / (2 * hm);
        const double d_alpha = (negbin_log_likelihood(y, mu, alpha + ha).value -
                                negbin_log_likelihood(y, mu, alpha - ha).value) / (2 * ha);
        CHECK(ll.d_mu == Approx(d_mu).epsilon(1e-6).margin(1e-8));
        CHECK(ll.d_alpha == Approx(d_alpha).epsilon(1e-6).margin(1e-5));
      }
    }
  // A fractional sale (the continuous extension) is most likely at mu = y.
  CHECK(std::abs(negbin_log_likelihood(2.5, 2.5, 0.3).d_mu) < 1e-12);
}

TEST_CASE("negbin link's backward matches finite differences", "[negbin][grad]") {
  for (NormKind norm : {NormKind::Revin, NormKind::MeanAbs}) {
    ModelConfig c = train::testing::tiny_config();
    c.head = HeadKind::NegBin;
    c.normalization = norm;
    c.revin_affine = norm == NormKind::Revin;
    const int64_t series = 3, n = series * c.horizon * 2;
    Random random(11);
    std::vector<double> raw(static_cast<size_t>(n)), weights(raw.size());
    for (double& v : raw) v = random.uniform(-3.0, 3.0);
    for (double& v : weights) v = random.uniform(-1.0, 1.0);
    const std::vector<double> center = {4.0, 0.2, 30.0}, spread = {2.0, 0.5, 9.0};
    double gamma = 1.3, beta = 0.2;
    if (norm == NormKind::MeanAbs) gamma = 1.0, beta = 0.0;
    // L = sum_i weights_i out_i: d L / d out = weights.
    auto loss = [&](const std::vector<double>& r, double g, double b) {
      std::vector<double> out(r.size());
      negbin_forward(c, r.data(), center.data(), spread.data(), g, b, series, out.data());
      double total = 0.0;
      for (size_t i = 0; i < out.size(); ++i) total += weights[i] * out[i];
      return total;
    };
    std::vector<double> d_raw(raw.size());
    double d_gamma = 0.0, d_beta = 0.0;
    negbin_backward(c, raw.data(), center.data(), spread.data(), gamma, beta, weights.data(),
                    series, d_raw.data(), &d_gamma, &d_beta);
    const double h = 1e-6;
    for (size_t i = 0; i < raw.size(); ++i) {
      std::vector<double> up = raw, down = raw;
      up[i] += h;
      down[i] -= h;
      CHECK(d_raw[i] == Approx((loss(up, gamma, beta) - loss(down, gamma, beta)) / (2 * h))
                            .epsilon(1e-6).margin(1e-8));
    }
    if (norm == NormKind::Revin) {
      CHECK(d_gamma == Approx((loss(raw, gamma + h, beta) - loss(raw, gamma - h, beta)) / (2 * h))
                           .epsilon(1e-6));
      CHECK(d_beta == Approx((loss(raw, gamma, beta + h) - loss(raw, gamma, beta - h)) / (2 * h))
                          .epsilon(1e-6));
    }
    // mu never falls below its floor, alpha never below its own, even far down the softplus.
    std::vector<double> low(raw.size(), -800.0), out(raw.size());
    negbin_forward(c, low.data(), center.data(), spread.data(), gamma, beta, series, out.data());
    for (size_t i = 0; i < out.size(); i += 2) {
      CHECK(out[i] >= kNegBinMinMean);
      CHECK(out[i + 1] >= kNegBinMinDispersion);
    }
  }
}

TEST_CASE("negbin loss refuses negative or non-finite sales and the quantile losses",
          "[negbin][train]") {
  const std::vector<double> levels = {0.5};
  const train::LossShape shape{1, 2, levels, 0};
  const std::vector<double> dist = {2.0, 0.5, 3.0, 0.5};
  CHECK(train::negbin_loss_sum(shape, dist.data(), std::vector<double>{1.0, 4.0}.data(), nullptr,
                               1.0, static_cast<double*>(nullptr)) ==
        Approx(-0.5 * (negbin_log_likelihood(1.0, 2.0, 0.5).value +
                       negbin_log_likelihood(4.0, 3.0, 0.5).value)));
  CHECK_THROWS_WITH(train::negbin_loss_sum(shape, dist.data(), std::vector<double>{1.0, -1.0}.data(),
                                           nullptr, 1.0, static_cast<double*>(nullptr)),
                    Catch::Matchers::Contains("series 0 on horizon day 2"));
  CHECK_THROWS_AS(train::negbin_loss_sum(shape, dist.data(), std::vector<double>{NAN, 1.0}.data(),
                                         nullptr, 1.0, static_cast<double*>(nullptr)),
                  Error);

  ModelConfig c = train::testing::tiny_config();
  c.head = HeadKind::NegBin;
  const train::Parameters params = train::initialize_parameters(c, 3);
  train::TrainableEncoder<float> encoder(c, kernels::backend_of(kernels::BackendKind::Reference));
  const std::vector<float> context(static_cast<size_t>(c.context_length), 2.0f);
  encoder.forward(params, context.data(), 1);
  REQUIRE(encoder.predictions().size() == static_cast<size_t>(c.horizon * 2));
  const std::vector<float> targets(static_cast<size_t>(c.horizon), 1.0f);
  CHECK(std::isfinite(encoder.loss_sum(train::LossKind::Pinball, targets.data(), nullptr, 1.0, nullptr)));
  CHECK_THROWS_WITH(encoder.loss_sum(train::LossKind::MedianMae, targets.data(), nullptr, 1.0, nullptr),
                    Catch::Matchers::Contains("applies to the quantile head"));
}

TEST_CASE("model files store the head only when it is not the quantile head", "[negbin][model]") {
  ModelMetadata m;
  m.config.head = HeadKind::NegBin;
  const std::string text = metadata_to_json(m);
  CHECK(text.find("\"head\":\"negbin\"") != std::string::npos);
  CHECK(metadata_from_json(text).config.head == HeadKind::NegBin);
  CHECK(metadata_to_json(ModelMetadata{}).find("\"head\"") == std::string::npos);
  std::string wrong = text;
  wrong.replace(wrong.find("negbin"), 6, "tweedy");
  CHECK_THROWS_WITH(metadata_from_json(wrong), Catch::Matchers::Contains("quantile, negbin"));
  // Two raw values per day in the head and the decoder's output, whatever the quantiles.
  for (const TensorSpec& t : expected_tensors(m.config, train::testing::test_features())) {
    if (t.name == "head.weight") CHECK(t.dims[0] == m.config.horizon * 2);
    if (t.name == "decoder.out.weight") CHECK(t.dims[0] == 2);
  }
}

TEST_CASE("negbin encoder forecasts whole non-crossing quantiles and the distribution's mean",
          "[negbin][encoder]") {
  for (const bool with_covariates : {false, true}) {
    ModelConfig c = train::testing::tiny_config();
    c.head = HeadKind::NegBin;
    c.quantiles = {0.1, 0.25, 0.5, 0.75, 0.9};
    const std::vector<FeatureSpec> features =
        with_covariates ? train::testing::test_features() : target_features();
    const int64_t batch = 19;  // more than two tiles of 8
    const train::Parameters params = train::testing::random_parameters(c, 5, features);
    const ModelFile file = ModelFile::from_buffer(
        train::to_model_buffer(params, train::default_metadata(params)), BufferMode::Copy);
    Random random(6);
    std::vector<float> context(static_cast<size_t>(batch * c.context_length));
    for (float& v : context) v = static_cast<float>(std::floor(random.uniform(0.0, 12.0)));
    const train::testing::TestCovariates<float> covariates =
        train::testing::random_covariates<float>(c, features, batch, 7);
    const layers::CovariateBatch<float> arrays = covariates.batch();
    const layers::CovariateBatch<float>* given = with_covariates ? &arrays : nullptr;
    for (kernels::BackendKind backend : {kernels::BackendKind::Reference, kernels::BackendKind::Cpu}) {
      INFO(kernels::backend_name(backend) << (with_covariates ? " with covariates" : ""));
      const EncoderModel model(file, kernels::backend_of(backend));
      EncoderWorkspace ws = model.make_workspace();
      std::vector<float> q(static_cast<size_t>(batch * model.outputs_per_series()), -1.0f);
      std::vector<float> mean(static_cast<size_t>(batch * c.horizon), -1.0f);
      model.forecast(context.data(), batch, q.data(), ws, given, {.mean = mean.data()});
      const auto Q = static_cast<size_t>(c.num_quantiles());
      for (size_t day = 0; day < mean.size(); ++day) {
        REQUIRE(mean[day] > 0.0f);
        for (size_t j = 0; j < Q; ++j) {
          const float v = q[day * Q + j];
          REQUIRE(v >= 0.0f);
          REQUIRE(v == std::floor(v));
          if (j > 0) REQUIRE(v >= q[day * Q + j - 1]);
        }
      }

      // The training forward's distributions give the same mean and quantiles; the float32
      // forwards differ by ~1e-6 relative (prepared and plain GEMMs), 1e-5 bounds it.
      train::TrainableEncoder<float> encoder(c, kernels::backend_of(backend), features);
      encoder.forward(params, context.data(), batch, given);
      const std::span<const float> dist = encoder.predictions();
      for (size_t day = 0; day < mean.size(); ++day)
        CHECK(std::abs(dist[2 * day] - mean[day]) <= 1e-5 * mean[day]);
      std::vector<float> sales(q.size());
      encoder.forecast_sales(params, sales.data());
      CHECK(sales == q);
    }
  }
  // The quantile head has no mean of its own.
  const ModelConfig c = train::testing::tiny_config();
  const train::Parameters params = train::initialize_parameters(c, 1);
  const EncoderModel model(
      ModelFile::from_buffer(train::to_model_buffer(params, train::default_metadata(params)),
                             BufferMode::Copy),
      kernels::backend_of(kernels::BackendKind::Reference));
  EncoderWorkspace ws = model.make_workspace();
  const std::vector<float> context(static_cast<size_t>(c.context_length), 1.0f);
  std::vector<float> q(static_cast<size_t>(model.outputs_per_series())), mean(3);
  CHECK_THROWS_WITH(model.forecast(context.data(), 1, q.data(), ws, nullptr, {.mean = mean.data()}),
                    Catch::Matchers::Contains("no mean of its own"));
}

TEST_CASE("training a negbin head through run_training learns counts", "[negbin][trainer]") {
  // Weekly counts: the weekly dataset's levels rounded to whole units.
  Dataset data = train::testing::weekly_dataset(16, 120, 41);
  for (Series& s : data.series) {
    for (double& v : s.values) v = std::round(v);
    s.stats = compute_stats(s.values, s.observed);
  }
  TrainingSettings t;
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"context_length", "28"}, {"patch_length", "7"}, {"stride", "7"}, {"d_model", "16"},
           {"heads", "2"}, {"ffn_dim", "32"}, {"layers", "1"}, {"horizon", "7"},
           {"head", "negbin"}, {"epochs", "6"}, {"steps_per_epoch", "15"}, {"batch_size", "32"},
           {"learning_rate", "0.003"}, {"threads", "2"}, {"covariates", "none"}})
    REQUIRE(set_training_option(t, key, value));
  const train::TrainedModel trained = train::run_training(data, nullptr, t, nullptr);
  const ModelFile file = ModelFile::from_buffer(trained.bytes, BufferMode::Copy);
  REQUIRE(file.config().head == HeadKind::NegBin);
  // The hold-out likelihood improved on the untrained model's: the mean -log p per day went
  // from 3.97 nats to 2.51 (measured); half a nat less is far from what chance moves (the
  // initial distributions are centred on each context's level already) and well short of it.
  const train::Parameters trained_params = train::parameters_from_model(file);
  const train::Parameters initial = train::initialize_parameters(file.config(), 1);
  const train::WindowOptions wo{28, 7, 1, 7};
  const std::vector<train::Window> holdout = train::holdout_windows(data, wo);
  train::TrainOptions o;
  o.batch_size = 32;
  const double before = train::evaluate_loss(initial, data, holdout, o);
  const double after = train::evaluate_loss(trained_params, data, holdout, o);
  INFO("hold-out NLL per day: initial " << before << " trained " << after);
  CHECK(after < before - 0.5);
  // loss applies to the quantile head only.
  REQUIRE(set_training_option(t, "loss", "mae"));
  CHECK_THROWS_WITH(train::run_training(data, nullptr, t, nullptr),
                    Catch::Matchers::Contains("applies to the quantile head"));
}
