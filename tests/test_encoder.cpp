// The encoder forward pass (lib/model/encoder.*): parity with PyTorch on the
// checked-in fixtures (tests/make_parity_fixture.py; the negbin head's also
// through the training forward and its loss), the fast backend against
// the reference on the default configuration (every ISA), quantiles that never cross and
// never go negative, determinism across threads and batch layouts, and errors.
//
// Parity metric, per series s: max_i |got - want| / max(max_i |want|, 1e-3),
// i over the series' horizon x quantile outputs (sales units; the floor keeps
// an all-zero series from dividing by zero).  NaN or infinity never passes.
// Tolerances: 1e-5 for the reference backend, float32 sums over at most a few
// hundred terms per output (d_model, ffn_dim) in an order close to PyTorch's,
// i.e. some 100 ulp (1.2e-7) of drift; 1e-4 for the Cpu backend, whose packed
// GEMM tiles sum in another order and whose exp/erf are fitted polynomials
// (kernels/cpu_vec_fits.hpp, a few 1e-7 relative each) through every layer.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "error.hpp"
#include "error_matchers.hpp"
#include "model/encoder.hpp"
#include "model/model_file.hpp"
#include "test_kernels_util.hpp"
#include "train/parameters.hpp"
#include "train/trainable_encoder.hpp"

using namespace invforecast;
using invforecast::testing::check_error;
using kernels::backend_of;
using kernels::BackendKind;

namespace {

const std::string kParityDir = std::string(INVF_TEST_FIXTURES) + "/parity/";

template <class T = float>
std::vector<T> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  REQUIRE(in.good());
  const auto bytes = static_cast<size_t>(in.tellg());
  REQUIRE(bytes % sizeof(T) == 0);
  std::vector<T> values(bytes / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(bytes));
  REQUIRE(in.good());
  return values;
}

// Worst per-series relative error (see the file comment).
double max_series_error(const std::vector<float>& got, const std::vector<float>& want,
                        int64_t per_series) {
  if (got.size() != want.size() || want.empty()) return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (size_t first = 0; first < want.size(); first += static_cast<size_t>(per_series)) {
    double diff = 0.0, scale = 1e-3;
    for (size_t i = first; i < first + static_cast<size_t>(per_series); ++i) {
      const double g = got[i], w = want[i];
      if (!std::isfinite(g) || !std::isfinite(w)) return std::numeric_limits<double>::infinity();
      diff = std::max(diff, std::abs(g - w));
      scale = std::max(scale, std::abs(w));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

// A parity model's covariate arrays (NAME_covariates_real.f32 and NAME_covariates_codes.i32, see
// tests/make_parity_fixture.py) and the batch over them the encoder reads.
struct ParityCovariates {
  std::vector<float> reals;
  std::vector<int32_t> codes;
  layers::CovariateInputSizes sizes{};
  layers::CovariateBatch<float> batch;
};

ParityCovariates read_parity_covariates(const std::string& name, const ModelFile& file,
                                        int64_t batch) {
  ParityCovariates p;
  p.reals = read_f32(kParityDir + name + "_covariates_real.f32");
  p.codes = read_f32<int32_t>(kParityDir + name + "_covariates_codes.i32");
  const CovariateLayout layout = covariate_layout(file.config(), file.metadata().features);
  REQUIRE(!layout.empty());
  const layers::CovariateInputSizes z = p.sizes =
      layers::covariate_input_sizes(file.config(), layout);
  REQUIRE(p.reals.size() == static_cast<size_t>(batch * z.reals()));
  REQUIRE(p.codes.size() == static_cast<size_t>(batch * z.codes()));
  const float* reals = p.reals.data();
  const int32_t* codes = p.codes.data();
  p.batch = layers::CovariateBatch<float>{
      reals, reals + batch * z.context_real, codes, codes + batch * z.context_codes,
      reals + batch * (z.context_real + z.horizon_real),
      codes + batch * (z.context_codes + z.horizon_codes)};
  return p;
}

void print_error(const char* what, double error) {
  if (std::getenv("INVF_PRINT_PARITY")) std::printf("%s: %.3g\n", what, error);
}

std::vector<float> run(const EncoderModel& model, const std::vector<float>& context,
                       int64_t tile_series = EncoderWorkspace::kDefaultTileSeries) {
  const int64_t batch = static_cast<int64_t>(context.size()) / model.config().context_length;
  std::vector<float> out(static_cast<size_t>(batch * model.outputs_per_series()), -1.0f);
  EncoderWorkspace ws = model.make_workspace(tile_series);
  model.forecast(context.data(), batch, out.data(), ws);
  return out;
}

// Holds the values a model buffer was written from.
struct RandomModel {
  ModelMetadata metadata;
  std::vector<std::vector<float>> values;
  std::vector<NamedTensor> tensors;
};

// Weights in the ranges of PyTorch's default initialisation (nn.Linear uniform in +-1/sqrt(in)),
// norm scales near 1, small biases; revin.weight positive, as the encoder requires.
RandomModel random_model(const ModelConfig& config, unsigned seed) {
  RandomModel m;
  m.metadata.config = config;
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  const std::vector<TensorSpec> specs = expected_tensors(config);
  m.values.reserve(specs.size());
  for (const TensorSpec& spec : specs) {
    int64_t count = 1;
    for (int64_t d : spec.dims) count *= d;
    std::vector<float> v(static_cast<size_t>(count));
    const bool norm_scale = spec.name.find("ln") != std::string::npos && ends_with(spec.name, ".weight");
    for (float& x : v) {
      if (spec.name == "revin.weight") x = 1.0f + 0.2f * uniform(engine);
      else if (norm_scale) x = 1.0f + 0.2f * uniform(engine);
      else if (spec.dims.size() == 2 && spec.name != "pos_embed")
        x = uniform(engine) / std::sqrt(static_cast<float>(spec.dims[1]));
      else x = 0.1f * uniform(engine);
    }
    m.values.push_back(std::move(v));
    m.tensors.push_back(NamedTensor{spec.name, spec.dims, m.values.back()});
  }
  return m;
}

EncoderModel build_model(const RandomModel& m, BackendKind backend = BackendKind::Cpu) {
  return EncoderModel(ModelFile::from_buffer(write_model_buffer(m.metadata, m.tensors), BufferMode::Copy),
                      backend_of(backend));
}

std::vector<EncoderWorkspace> workspaces_of(const EncoderModel& model, size_t count, int64_t tile) {
  std::vector<EncoderWorkspace> workspaces;
  for (size_t i = 0; i < count; ++i) workspaces.push_back(model.make_workspace(tile));
  return workspaces;
}

ModelConfig default_config() {
  ModelConfig c;  // context 336, patch 16, stride 8 (42 tokens), d_model 128, 8 heads, ffn 256, 3 layers
  REQUIRE(c.num_tokens() == 42);
  return c;
}

ModelConfig small_config(NormKind norm) {
  return {.context_length = 40, .patch_length = 8, .stride = 4, .d_model = 16, .heads = 4,
          .ffn_dim = 24, .layers = 2, .horizon = 6, .quantiles = {0.05, 0.25, 0.5, 0.75, 0.95},
          .normalization = norm, .revin_affine = norm == NormKind::Revin};
}

// Sales-like series: Poisson counts around a random level, some intermittent, some in the
// thousands, one all zeros.
std::vector<float> sales(int64_t series, int64_t length, unsigned seed) {
  std::mt19937 engine(seed);
  std::lognormal_distribution<double> level(1.0, 1.5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<float> x(static_cast<size_t>(series * length));
  for (int64_t s = 0; s < series; ++s) {
    const double mean = s % 7 == 3 ? 2000.0 : level(engine);
    const double zero_share = s % 3 == 1 ? 0.7 : 0.0;
    std::poisson_distribution<int> count(mean);
    for (int64_t t = 0; t < length; ++t)
      x[static_cast<size_t>(s * length + t)] =
          (s == 5 || unit(engine) < zero_share) ? 0.0f : static_cast<float>(count(engine));
  }
  return x;
}

void check_quantiles_ordered(const std::vector<float>& out, int64_t quantiles) {
  int64_t violations = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const bool next_in_row = (i + 1) % static_cast<size_t>(quantiles) != 0;
    if (!std::isfinite(out[i]) || out[i] < 0.0f || (next_in_row && out[i] > out[i + 1])) ++violations;
  }
  CHECK(violations == 0);
}

}  // namespace

TEST_CASE("encoder matches PyTorch on the parity fixtures", "[encoder][parity]") {
  for (const char* name : {"revin", "meanabs"}) {
    const ModelFile file = ModelFile::open(kParityDir + name + ".invfm");
    const EncoderModel model(file, backend_of(BackendKind::Cpu));
    const std::vector<float> input = read_f32(kParityDir + name + "_input.f32");
    const std::vector<float> want = read_f32(kParityDir + name + "_output.f32");
    const int64_t per_series = model.outputs_per_series();
    REQUIRE(input.size() % static_cast<size_t>(model.config().context_length) == 0);
    REQUIRE(want.size() == input.size() / static_cast<size_t>(model.config().context_length) *
                               static_cast<size_t>(per_series));
    // The fixture must exercise the clipping and also hold plenty of positive outputs.
    const auto zeros = std::count(want.begin(), want.end(), 0.0f);
    CHECK(zeros > 0);
    CHECK(zeros < static_cast<long>(want.size()) * 3 / 5);

    for (const BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
      const double tolerance = backend == BackendKind::Reference ? 1e-5 : 1e-4;
      // Whole batch in one tile, and tiles of 5 (a partial last tile).
      for (const int64_t tile : {int64_t{32}, int64_t{5}}) {
        INFO(name << " on " << kernels::backend_name(backend) << ", tiles of " << tile);
        const EncoderModel on_backend(file, backend_of(backend));
        const double error = max_series_error(run(on_backend, input, tile), want, per_series);
        print_error((std::string("parity ") + name + " " + kernels::backend_name(backend) +
                     " tile " + std::to_string(tile)).c_str(),
                    error);
        CHECK(error <= tolerance);
      }
    }
  }
}

// The covariate model (docs/covariates.md) against tests/make_parity_fixture.py's PyTorch
// implementation of it, on the arrays the feature encoder writes; the same tolerances.
TEST_CASE("covariate encoder matches PyTorch on the parity fixture", "[encoder][parity]") {
  const ModelFile file = ModelFile::open(kParityDir + "covariates.invfm");
  const std::vector<float> input = read_f32(kParityDir + "covariates_input.f32");
  const std::vector<float> want = read_f32(kParityDir + "covariates_output.f32");
  const int64_t batch = static_cast<int64_t>(input.size()) / file.config().context_length;
  const ParityCovariates parity = read_parity_covariates("covariates", file, batch);
  const std::vector<float>& reals = parity.reals;
  const layers::CovariateInputSizes& z = parity.sizes;
  const layers::CovariateBatch<float>& covariates = parity.batch;
  for (const BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    const double tolerance = backend == BackendKind::Reference ? 1e-5 : 1e-4;
    for (const int64_t tile : {int64_t{32}, int64_t{5}}) {
      INFO("covariates on " << kernels::backend_name(backend) << ", tiles of " << tile);
      const EncoderModel model(file, backend_of(backend));
      std::vector<float> out(want.size(), -1.0f);
      EncoderWorkspace ws = model.make_workspace(tile);
      model.forecast(input.data(), batch, out.data(), ws, &covariates);
      const double error = max_series_error(out, want, model.outputs_per_series());
      print_error((std::string("parity covariates ") + kernels::backend_name(backend) + " tile " +
                   std::to_string(tile)).c_str(),
                  error);
      CHECK(error <= tolerance);
    }
  }
  // The covariates matter: with every real covariate shifted by 1 the forecast is far off (a
  // fixture whose covariate weights did nothing would pass the check above vacuously).
  const EncoderModel model(file, backend_of(BackendKind::Reference));
  std::vector<float> out(want.size());
  EncoderWorkspace ws = model.make_workspace();
  std::vector<float> shifted = reals;
  for (float& v : shifted) v += 1.0f;
  layers::CovariateBatch<float> other = covariates;
  other.context_real = shifted.data();
  other.horizon_real = shifted.data() + batch * z.context_real;
  other.static_real = shifted.data() + batch * (z.context_real + z.horizon_real);
  model.forecast(input.data(), batch, out.data(), ws, &other);
  CHECK(max_series_error(out, want, model.outputs_per_series()) > 1e-2);
  // Refused without covariates.
  CHECK_THROWS_AS(model.forecast(input.data(), batch, out.data(), ws), Error);
}

// The negative binomial head (docs/count_head.md) on the covariate model, against the same
// PyTorch implementation with torch.distributions.NegativeBinomial: the inference mean and the
// training forward's (mu, alpha) at the parity tolerances above; the quantiles, whole counts
// from PyTorch's float64 distributions, exactly (a float32 mean ~1e-6 off moves a count only
// when its CDF sits that close to a level: none does here); and each series' mean negative
// log-likelihood of the fixture's sales, fractional ones included, summed: 1e-5 relative, as
// the distributions it is computed from.
TEST_CASE("negbin encoder matches PyTorch on the parity fixture", "[encoder][parity][negbin]") {
  const ModelFile file = ModelFile::open(kParityDir + "negbin.invfm");
  const ModelConfig& config = file.config();
  REQUIRE(config.head == HeadKind::NegBin);
  const std::vector<float> input = read_f32(kParityDir + "negbin_input.f32");
  const std::vector<float> want = read_f32(kParityDir + "negbin_output.f32");  // (mu, alpha)
  const std::vector<float> want_quantiles = read_f32(kParityDir + "negbin_quantiles.f32");
  const std::vector<float> targets = read_f32(kParityDir + "negbin_targets.f32");
  const std::vector<double> want_loss = read_f32<double>(kParityDir + "negbin_loss.f64");
  const int64_t batch = static_cast<int64_t>(input.size()) / config.context_length,
                H = config.horizon;
  const ParityCovariates parity = read_parity_covariates("negbin", file, batch);
  std::vector<float> want_mean;
  for (size_t i = 0; i < want.size(); i += 2) want_mean.push_back(want[i]);
  double want_total = 0.0;
  for (double l : want_loss) want_total += l;
  const train::Parameters params = train::parameters_from_model(file);
  for (const BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    const double tolerance = backend == BackendKind::Reference ? 1e-5 : 1e-4;
    for (const int64_t tile : {int64_t{32}, int64_t{5}}) {
      INFO("negbin on " << kernels::backend_name(backend) << ", tiles of " << tile);
      const EncoderModel model(file, backend_of(backend));
      std::vector<float> quantiles(want_quantiles.size(), -1.0f), mean(want_mean.size(), -1.0f);
      EncoderWorkspace ws = model.make_workspace(tile);
      model.forecast(input.data(), batch, quantiles.data(), ws, &parity.batch, {.mean = mean.data()});
      const double error = max_series_error(mean, want_mean, H);
      print_error((std::string("parity negbin mean ") + kernels::backend_name(backend) +
                   " tile " + std::to_string(tile)).c_str(),
                  error);
      CHECK(error <= tolerance);
      CHECK(quantiles == want_quantiles);
    }
    INFO("negbin training forward on " << kernels::backend_name(backend));
    train::TrainableEncoder<float> encoder(config, backend_of(backend), file.metadata().features);
    encoder.forward(params, input.data(), batch, &parity.batch);
    const std::vector<float> got(encoder.predictions().begin(), encoder.predictions().end());
    CHECK(max_series_error(got, want, 2 * H) <= tolerance);
    const double loss =
        encoder.loss_sum(train::LossKind::Pinball, targets.data(), nullptr, 1.0, nullptr);
    CHECK(std::abs(loss - want_total) <= tolerance * std::abs(want_total));
  }
  // The fixture holds both whole and fractional sales, and quantiles of several counts.
  CHECK(std::count(targets.begin(), targets.end(), 2.5f) == 1);
  CHECK(*std::max_element(want_quantiles.begin(), want_quantiles.end()) >= 5.0f);
}

TEST_CASE("encoder Cpu backend matches the reference on the default configuration",
          "[encoder]") {
  for (const NormKind norm : {NormKind::Revin, NormKind::MeanAbs}) {
    ModelConfig config = default_config();
    config.normalization = norm;
    config.revin_affine = norm == NormKind::Revin;
    const RandomModel random = random_model(config, 7);
    const EncoderModel model = build_model(random);
    const std::vector<float> input = sales(40, config.context_length, 11);
    const std::vector<float> reference = run(build_model(random, BackendKind::Reference), input);
    kernels::testing::IsaSweep sweep;
    for (const kernels::CpuIsa isa : sweep.isas()) {
      kernels::set_active_cpu_isa(isa);
      const std::vector<float> fast = run(model, input);
      const double error = max_series_error(fast, reference, model.outputs_per_series());
      INFO(kernels::cpu_isa_name(isa));
      print_error((std::string("default config ") + (norm == NormKind::Revin ? "revin" : "meanabs") +
                   " cpu [" + kernels::cpu_isa_name(isa) + "] vs reference")
                      .c_str(),
                  error);
      CHECK(error <= 1e-4);
    }
    check_quantiles_ordered(reference, config.num_quantiles());
  }
}

TEST_CASE("encoder quantiles never cross and are never negative", "[encoder]") {
  for (const NormKind norm : {NormKind::Revin, NormKind::MeanAbs}) {
    const ModelConfig config = small_config(norm);
    for (const unsigned seed : {1u, 2u, 3u}) {
      RandomModel m = random_model(config, seed);
      // Large head weights give raw outputs far from zero both ways: softplus saturates and the
      // increments underflow or dominate, the cases where an implementation would cross.
      for (size_t i = 0; i < m.tensors.size(); ++i)
        if (m.tensors[i].name == "head.weight")
          for (float& w : m.values[i]) w *= 30.0f;
      std::vector<float> input = sales(50, config.context_length, seed + 100);
      // Besides sales: series of very different scales, and a few negative values (returns).
      std::mt19937 engine(seed);
      std::normal_distribution<float> noise(0.0f, 1.0f);
      for (size_t i = 0; i < input.size() / 2; ++i) input[i] = 1e4f * noise(engine);
      for (const BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
        INFO("seed " << seed << " on " << kernels::backend_name(backend));
        const std::vector<float> out = run(build_model(m, backend), input);
        check_quantiles_ordered(out, config.num_quantiles());
        // Not all clipped: the property is checked on real spreads.
        CHECK(std::count(out.begin(), out.end(), 0.0f) < static_cast<long>(out.size()) * 3 / 4);
      }
    }
  }
}

TEST_CASE("encoder results do not depend on the thread count", "[encoder][threads]") {
  // The fast backend on the default shapes; the slower reference on a small model.
  for (const BackendKind backend : {BackendKind::Cpu, BackendKind::Reference}) {
    const ModelConfig config = backend == BackendKind::Cpu ? default_config() : small_config(NormKind::Revin);
    const EncoderModel model = build_model(random_model(config, 21), backend);
    const int64_t batch = 45;  // 6 tiles of 8, the last one partial
    const std::vector<float> input = sales(batch, config.context_length, 5);
    INFO(kernels::backend_name(backend));
    const std::vector<float> single = run(model, input, 8);
    for (const size_t threads : {size_t{2}, size_t{4}, size_t{8}}) {
      INFO(threads << " threads");
      std::vector<EncoderWorkspace> workspaces = workspaces_of(model, threads, 8);
      std::vector<float> out(single.size(), -1.0f);
      forecast_parallel(model, input.data(), batch, out.data(), workspaces);
      CHECK(std::memcmp(out.data(), single.data(), out.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("encoder forecasts a series the same alone or within a batch", "[encoder]") {
  const ModelConfig config = small_config(NormKind::Revin);
  const RandomModel random = random_model(config, 31);
  const std::vector<float> input = sales(20, config.context_length, 9);
  for (const BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    INFO(kernels::backend_name(backend));
    const EncoderModel model = build_model(random, backend);
    const int64_t batch = 20, per_series = model.outputs_per_series();
    const std::vector<float> together = run(model, input);
    EncoderWorkspace ws = model.make_workspace();
    std::vector<float> alone(together.size(), -1.0f);
    for (int64_t s = 0; s < batch; ++s)
      model.forecast(input.data() + s * config.context_length, 1,
                     alone.data() + s * per_series, ws);
    // The Cpu backend's GEMM sums every output in the same order whatever the
    // row count: bit for bit.  Eigen's (Reference) may not: equal up to rounding.
    if (backend == BackendKind::Cpu)
      CHECK(std::memcmp(alone.data(), together.data(), alone.size() * sizeof(float)) == 0);
    CHECK(max_series_error(alone, together, per_series) <= 1e-6);

    // A workspace reused after a larger batch holds stale values; they must not leak.
    std::vector<float> again(static_cast<size_t>(3 * per_series));
    model.forecast(input.data(), 3, again.data(), ws);
    EncoderWorkspace fresh = model.make_workspace();
    std::vector<float> first_three(again.size());
    model.forecast(input.data(), 3, first_three.data(), fresh);
    CHECK(std::memcmp(again.data(), first_three.data(), again.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("encoder forecasts allocate nothing once the workspace exists", "[encoder][alloc]") {
  using kernels::testing::count_allocations;
  for (const NormKind norm : {NormKind::MeanAbs, NormKind::Revin}) {
    for (const bool default_shape : {false, true}) {
      ModelConfig config = default_shape ? default_config() : small_config(norm);
      config.normalization = norm;
      config.revin_affine = norm == NormKind::Revin;
      const EncoderModel model = build_model(random_model(config, 51));
      const int64_t tile = 8, batch = 3 * tile + 5;  // the last tile partial
      const std::vector<float> input = sales(batch, config.context_length, 13);
      std::vector<float> out(static_cast<size_t>(batch * model.outputs_per_series()));
      EncoderWorkspace ws = model.make_workspace(tile);
      INFO((default_shape ? "default" : "small") << " model, norm " << static_cast<int>(norm));
      // The very first call allocates nothing either: the prepared weights came with the model.
      for (int repeat = 0; repeat < 2; ++repeat) {
        CHECK(count_allocations([&] {
                model.forecast(input.data(), batch, out.data(), ws);
              }) == 0);
        CHECK(count_allocations([&] {
                model.forecast(input.data(), 1, out.data(), ws);
              }) == 0);
        CHECK(count_allocations([&] {
                forecast_parallel(model, input.data(), batch, out.data(),
                                  std::span<EncoderWorkspace>(&ws, 1));
              }) == 0);
      }
      check_quantiles_ordered(out, config.num_quantiles());
    }
  }
  // The negbin head's host side (its link and quantile search) allocates nothing either.
  ModelConfig config = small_config(NormKind::Revin);
  config.head = HeadKind::NegBin;
  const EncoderModel model = build_model(random_model(config, 52));
  const int64_t batch = 29;
  const std::vector<float> input = sales(batch, config.context_length, 14);
  std::vector<float> out(static_cast<size_t>(batch * model.outputs_per_series()));
  std::vector<float> mean(static_cast<size_t>(batch * config.horizon));
  EncoderWorkspace ws = model.make_workspace();
  CHECK(count_allocations([&] {
          model.forecast(input.data(), batch, out.data(), ws, nullptr, {.mean = mean.data()});
        }) == 0);
  check_quantiles_ordered(out, config.num_quantiles());
}

TEST_CASE("encoder refuses bad arguments with a clear Error", "[encoder][errors]") {
  const ModelConfig config = small_config(NormKind::Revin);
  const RandomModel random = random_model(config, 41);
  const EncoderModel model = build_model(random);
  const int64_t L = config.context_length;
  std::vector<float> input = sales(4, L, 3);
  std::vector<float> out(static_cast<size_t>(4 * model.outputs_per_series()), -7.0f);
  EncoderWorkspace ws = model.make_workspace();

  check_error([&] { model.forecast(input.data(), -1, out.data(), ws); },
              ErrorCode::InvalidArgument, "batch must be >= 0");
  check_error([&] { model.forecast(nullptr, 4, out.data(), ws); },
              ErrorCode::NullPointer, "context is null");
  check_error([&] { model.forecast(input.data(), 4, nullptr, ws); },
              ErrorCode::NullPointer, "quantiles_out is null");
  check_error([&] { build_model(random, BackendKind::Cuda); }, ErrorCode::Unsupported,
              "the cuda backend is not available");
  EncoderWorkspace on_reference(config, backend_of(BackendKind::Reference));
  check_error([&] { model.forecast(input.data(), 4, out.data(), on_reference); },
              ErrorCode::InvalidArgument, "the workspace is on the reference backend, the model on cpu");

  ModelConfig other = config;
  other.d_model = 32;
  EncoderWorkspace wrong(other, backend_of(BackendKind::Cpu));
  check_error([&] { model.forecast(input.data(), 4, out.data(), wrong); },
              ErrorCode::InvalidArgument, "another model shape");

  input[static_cast<size_t>(2 * L + 5)] = std::numeric_limits<float>::quiet_NaN();
  check_error([&] { model.forecast(input.data(), 4, out.data(), ws); },
              ErrorCode::InvalidArgument, "series 2 holds a non-finite value at position 5");
  input[static_cast<size_t>(2 * L + 5)] = std::numeric_limits<float>::infinity();
  check_error([&] { model.forecast(input.data(), 4, out.data(), ws); },
              ErrorCode::InvalidArgument, "non-finite");
  input[static_cast<size_t>(2 * L + 5)] = 1.0f;
  // Refused calls leave the output alone.
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == -7.0f; }));

  // A batch of zero series is valid and writes nothing, even through null pointers.
  CHECK_NOTHROW(model.forecast(nullptr, 0, nullptr, ws));

  check_error([&] { EncoderWorkspace(config, backend_of(BackendKind::Cpu), 0); }, ErrorCode::InvalidArgument,
              "tile_series must be >= 1");
  check_error([&] { EncoderWorkspace(default_config(), backend_of(BackendKind::Cpu), int64_t{1} << 20); },
              ErrorCode::InvalidArgument, "use a smaller tile");

  std::vector<EncoderWorkspace> none;
  check_error([&] { forecast_parallel(model, input.data(), 4, out.data(), none); },
              ErrorCode::InvalidArgument, "no workspace");
  std::vector<EncoderWorkspace> mixed = workspaces_of(model, 1, 2);
  mixed.push_back(model.make_workspace(3));
  check_error([&] { forecast_parallel(model, input.data(), 4, out.data(), mixed); },
              ErrorCode::InvalidArgument, "different tile sizes");

  // The output denormalisation divides by revin.weight: zero or negative is refused at load.
  for (const float weight : {0.0f, -0.5f}) {
    RandomModel bad = random_model(config, 41);
    bad.values[0][0] = weight;
    REQUIRE(bad.tensors[0].name == "revin.weight");
    check_error([&] { build_model(bad); }, ErrorCode::CorruptModel, "revin.weight");
  }
}

TEST_CASE("encoder picks the quantile closest to 0.5 as the median", "[encoder]") {
  ModelConfig c;
  c.quantiles = {0.1, 0.5, 0.9};
  CHECK(c.median_quantile_index() == 1);
  c.quantiles = {0.05, 0.25, 0.45, 0.7};
  CHECK(c.median_quantile_index() == 2);
  c.quantiles = {0.2, 0.4, 0.6, 0.8};  // a tie: the first of the two
  CHECK(c.median_quantile_index() == 1);
  c.quantiles = {0.9};
  CHECK(c.median_quantile_index() == 0);
}

TEST_CASE("encoder runs the frozen v1 model files", "[encoder]") {
  const std::string dir = std::string(INVF_TEST_FIXTURES) + "/model/";
  // Mean-absolute scaling, no padding, a single (median) quantile.
  const ModelFile tiny = ModelFile::open(dir + "v1_tiny_meanabs.invfm");
  REQUIRE(tiny.config().context_length == 12);
  const std::vector<float> input = sales(3, 12, 77);
  for (const BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    const std::vector<float> out = run(EncoderModel(tiny, backend_of(backend)), input);
    REQUIRE(out.size() == 3 * 2);
    check_quantiles_ordered(out, 1);
  }
  // Its generated values give revin.weight = -0.75: a valid file, but not a usable model.
  check_error([&] { EncoderModel(ModelFile::open(dir + "v1_small_revin.invfm"), backend_of(BackendKind::Cpu)); },
              ErrorCode::CorruptModel, "revin.weight is -0.75");
  // The same file with the gain at +0.75 (RevIN, end padding, three quantiles) runs, and the fast
  // backend agrees with the reference.
  const ModelFile small = ModelFile::open(dir + "v1_small_revin_runnable.invfm");
  REQUIRE(small.config().context_length == 16);
  const std::vector<float> small_input = sales(5, 16, 78);
  const std::vector<float> reference =
      run(EncoderModel(small, backend_of(BackendKind::Reference)), small_input);
  const std::vector<float> fast = run(EncoderModel(small, backend_of(BackendKind::Cpu)), small_input);
  REQUIRE(reference.size() == 5 * 2 * 3);
  check_quantiles_ordered(reference, 3);
  check_quantiles_ordered(fast, 3);
  CHECK(max_series_error(fast, reference, 2 * 3) < 1e-4);
}
