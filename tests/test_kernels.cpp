// Forward ops: exact values on hand-computed cases, argument errors, and the
// Cpu backend (every ISA this CPU runs) against the Reference backend on
// random inputs of many shapes, by max relative error normalised by max |ref|.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "error.hpp"
#include "ops.hpp"
#include "test_kernels_util.hpp"

using namespace invforecast;
using namespace invforecast::kernels;
using namespace invforecast::kernels::testing;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// fp32 tolerances, Cpu vs Reference.  GEMMs and row reductions differ only in
// summation order; the special functions (exp, erfc, softplus) are our own
// polynomials, good to a few ulp.
constexpr double kLinearTolerance = 1e-5;
constexpr double kElementwiseTolerance = 2e-6;
constexpr double kRowTolerance = 1e-5;
constexpr double kAttentionTolerance = 1e-5;

std::string isa_label(const char* op) { return std::string(op) + " [" + cpu_isa_name(active_cpu_isa()) + "]"; }

bool all_nan(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isnan(p[i])) return false;
  return true;
}

bool any_nan(const std::vector<float>& v) {
  for (float x : v)
    if (std::isnan(x)) return true;
  return false;
}

}  // namespace

TEST_CASE("max_relative_error never lets NaN pass", "[kernels]") {
  const std::vector<float> ref{1.0f, 2.0f, 3.0f};
  CHECK(max_relative_error(std::vector<float>{1.0f, 2.0f, 3.3f}, ref) == Approx(0.1).epsilon(1e-6));
  CHECK(std::isinf(max_relative_error(std::vector<float>{1.0f, kNaN, 3.0f}, ref)));
  CHECK(std::isinf(max_relative_error(ref, std::vector<float>{1.0f, kNaN, 3.0f})));
  CHECK(std::isinf(max_relative_error(std::vector<float>{kNaN, kNaN}, std::vector<float>{kNaN, kNaN})));
  CHECK(std::isinf(max_relative_error(std::vector<float>{0.0f}, std::vector<float>{0.0f})));
}

TEST_CASE("ops reject bad shapes, null pointers and the Cuda backend", "[kernels]") {
  std::vector<float> x(6, 1.0f), w(6, 1.0f), y(6);
  auto code_of = [](auto&& call) {
    try {
      call();
    } catch (const Error& e) {
      return std::make_pair(e.code(), std::string(e.what()));
    }
    return std::make_pair(ErrorCode::Internal, std::string("no error"));
  };
  auto [null_code, null_message] =
      code_of([&] { linear_forward(context_of(BackendKind::Cpu), x.data(), nullptr, nullptr, y.data(), 2, 3, 2); });
  CHECK(null_code == ErrorCode::NullPointer);
  CHECK(null_message == "linear_forward: w is null");

  auto [shape_code, shape_message] =
      code_of([&] { softmax_forward(context_of(BackendKind::Reference), x.data(), y.data(), 2, 0); });
  CHECK(shape_code == ErrorCode::InvalidArgument);
  CHECK(shape_message.find("cols must be positive") != std::string::npos);

  auto [cuda_code, cuda_message] =
      code_of([&] { bias_gelu_forward(context_of(BackendKind::Cuda), x.data(), nullptr, y.data(), 2, 3); });
  CHECK(cuda_code == ErrorCode::Unsupported);
  CHECK(cuda_message.find("cuda backend is not available") != std::string::npos);

  auto [median_code, median_message] =
      code_of([&] { quantile_head_forward(context_of(BackendKind::Cpu), x.data(), y.data(), 2, 3, 3); });
  CHECK(median_code == ErrorCode::InvalidArgument);
  CHECK(median_message.find("median_index 3 is outside [0, 3)") != std::string::npos);

  AttentionDims dims{1, 2, 2, 3, 5, 6};  // ld_qkv 5 < 2 heads * 3
  auto [ld_code, ld_message] = code_of([&] { attention_workspace_floats(dims); });
  CHECK(ld_code == ErrorCode::InvalidArgument);
  CHECK(ld_message.find("ld_qkv 5") != std::string::npos);

  auto [eps_code, eps_message] = code_of([&] {
    layer_norm_forward(context_of(BackendKind::Cpu), x.data(), w.data(), w.data(), y.data(), nullptr, nullptr, 2, 3, 0.0f);
  });
  CHECK(eps_code == ErrorCode::InvalidArgument);
  CHECK(eps_message.find("eps must be positive") != std::string::npos);
}

// Hand-computed values in float32: 1e-7 relative where one or two roundings
// separate the result from the exact value, 1e-6 (8 ulp) through a fitted
// special function or a row reduction, 1e-5 for gelu at -2, where Phi is
// 0.023 and the erfc fit is only relatively that good.
TEST_CASE("hand-computed values on every backend", "[kernels]") {
  IsaSweep sweep;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
      INFO(backend_name(backend) << " " << cpu_isa_name(isa));
      // y = x w^T + b: [1 2; 3 4] [1 0 ; 1 1]^T + [10 20] = [11 23 ; 13 27]
      const std::vector<float> x{1, 2, 3, 4}, w{1, 0, 1, 1}, b{10, 20};
      std::vector<float> y(4);
      linear_forward(context_of(backend), x.data(), w.data(), b.data(), y.data(), 2, 2, 2);
      CHECK(y == std::vector<float>{11, 23, 13, 27});

      // gelu(u) = u Phi(u): Phi(0) = 1/2, Phi(1) = 0.841344746, Phi(-2) = 0.022750132.
      const std::vector<float> bias{0.5f, 0.5f, 0.5f};
      const std::vector<float> shifted{-0.5f, 0.5f, -2.5f};
      std::vector<float> g(3);
      bias_gelu_forward(context_of(backend), shifted.data(), bias.data(), g.data(), 1, 3);
      CHECK(g[0] == 0.0f);
      CHECK(g[1] == Approx(0.8413447460685429).epsilon(1e-6));
      CHECK(g[2] == Approx(-2.0 * 0.022750131948179).epsilon(1e-5));

      // LayerNorm of [1 2 3]: mean 2, var 2/3, xhat = [-1.2247449 0 1.2247449].
      const std::vector<float> row{1, 2, 3}, gamma{2, 2, 2}, beta{1, 1, 1};
      std::vector<float> ln(3), mean(1), rstd(1);
      layer_norm_forward(context_of(backend), row.data(), gamma.data(), beta.data(), ln.data(), mean.data(), rstd.data(), 1, 3, 1e-12f);
      CHECK(mean[0] == Approx(2.0));
      CHECK(rstd[0] == Approx(1.0 / std::sqrt(2.0 / 3.0)).epsilon(1e-6));
      CHECK(ln[0] == Approx(1.0 - 2 * 1.224744871391589).epsilon(1e-6));
      CHECK(ln[1] == Approx(1.0).epsilon(1e-6));

      // softmax([0, ln 3]) = [1/4, 3/4]
      const std::vector<float> logits{0.0f, std::log(3.0f)};
      std::vector<float> p(2);
      softmax_forward(context_of(backend), logits.data(), p.data(), 1, 2);
      CHECK(p[0] == Approx(0.25).epsilon(1e-6));
      CHECK(p[1] == Approx(0.75).epsilon(1e-6));

      // Quantiles around the median 5 with raw increments softplus(0) = ln 2, softplus(ln(e-1)) = 1.
      const std::vector<float> raw{std::log(std::exp(1.0f) - 1.0f), 0.0f, 5.0f, 0.0f, std::log(std::exp(1.0f) - 1.0f)};
      std::vector<float> q(5);
      quantile_head_forward(context_of(backend), raw.data(), q.data(), 1, 5, 2);
      CHECK(q[2] == 5.0f);
      CHECK(q[3] == Approx(5.0 + std::log(2.0)).epsilon(1e-6));
      CHECK(q[4] == Approx(6.0 + std::log(2.0)).epsilon(1e-6));
      CHECK(q[1] == Approx(5.0 - std::log(2.0)).epsilon(1e-6));
      CHECK(q[0] == Approx(4.0 - std::log(2.0)).epsilon(1e-6));

      // Mean-absolute scaling: [2 -4 0 6] has scale 3; an all-zero row gets min_scale.
      const std::vector<float> series{2, -4, 0, 6, 0, 0, 0, 0};
      std::vector<float> scaled(8), scale(2), back(8);
      mean_abs_scale_forward(context_of(backend), series.data(), scaled.data(), scale.data(), 2, 4, 0.5f);
      CHECK(scale == std::vector<float>{3.0f, 0.5f});
      CHECK(scaled[1] == Approx(-4.0 / 3.0).epsilon(1e-7));
      CHECK(scaled[6] == 0.0f);
      mean_abs_unscale(context_of(backend), scaled.data(), scale.data(), back.data(), 2, 4);
      CHECK(max_relative_error(back, series) < 1e-7);

      // RevIN of [1 3]: mean 2, std sqrt(1 + eps); gamma 2, beta -1 -> [-3, 1]; and back.
      const std::vector<float> pair{1, 3}, rg{2}, rb{-1};
      std::vector<float> normed(2), mu(1), sd(1), restored(2);
      revin_normalize_forward(context_of(backend), pair.data(), rg.data(), rb.data(), normed.data(), mu.data(), sd.data(), 1, 2, 1, 1e-10f);
      CHECK(mu[0] == 2.0f);
      CHECK(sd[0] == Approx(1.0).epsilon(1e-7));
      CHECK(normed[0] == Approx(-3.0).epsilon(1e-6));
      CHECK(normed[1] == Approx(1.0).epsilon(1e-6));
      revin_denormalize_forward(context_of(backend), normed.data(), rg.data(), rb.data(), mu.data(), sd.data(), restored.data(), 1, 2, 1);
      CHECK(max_relative_error(restored, pair) < 1e-6);

      // Attention with one key: every query reads that key's value, lse = the single score.
      const AttentionDims dims{1, 1, 1, 4, 4, 4};
      const std::vector<float> qv{1, 1, 1, 1}, kv{0.5f, 0.5f, 0.5f, 0.5f}, vv{3, -1, 2, 7};
      std::vector<float> out(4), lse(1), workspace(attention_workspace_floats(dims));
      attention_forward(context_of(backend), dims, qv.data(), kv.data(), vv.data(), out.data(), lse.data(), workspace.data());
      CHECK(out == vv);
      CHECK(lse[0] == Approx(1.0).epsilon(1e-6));  // 4 * 0.5 / sqrt(4)
    }
  }
}

TEST_CASE("linear: cpu matches reference", "[kernels]") {
  struct Shape {
    int64_t rows, in, out;
  };
  const std::vector<Shape> shapes{{1, 1, 1},     {1, 16, 128},   {3, 7, 13},    {42, 128, 384},
                                  {256, 128, 256}, {1024, 256, 128}, {1024, 16, 128}, {5, 336, 1}};
  unsigned seed = 1;
  for (const auto& s : shapes) {
    INFO("rows " << s.rows << " in " << s.in << " out " << s.out);
    const auto x = random_values(s.rows * s.in, seed++);
    const auto w = random_values(s.out * s.in, seed++, 0.2);
    const auto b = random_values(s.out, seed++);
    for (bool with_bias : {true, false}) {
      std::vector<float> ref(s.rows * s.out), fast(s.rows * s.out);
      const float* bias = with_bias ? b.data() : nullptr;
      linear_forward(context_of(BackendKind::Reference), x.data(), w.data(), bias, ref.data(), s.rows, s.in, s.out);
      linear_forward(context_of(BackendKind::Cpu), x.data(), w.data(), bias, fast.data(), s.rows, s.in, s.out);
      CHECK(record_error("linear_forward", max_relative_error(fast, ref)) < kLinearTolerance);
      linear_gelu_forward(context_of(BackendKind::Reference), x.data(), w.data(), bias, ref.data(), s.rows, s.in, s.out);
      linear_gelu_forward(context_of(BackendKind::Cpu), x.data(), w.data(), bias, fast.data(), s.rows, s.in, s.out);
      CHECK(record_error("linear_gelu_forward", max_relative_error(fast, ref)) < kLinearTolerance);
    }
  }
}

TEST_CASE("bias_gelu: cpu matches reference", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 100;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (int64_t rows : {1, 5, 1024})
      for (int64_t cols : {1, 7, 8, 9, 256}) {
        INFO(cpu_isa_name(isa) << " rows " << rows << " cols " << cols);
        // Wide range: both tails of Phi and the region around 0.
        const auto x = random_values(rows * cols, seed++, 8.0);
        const auto bias = random_values(cols, seed++);
        std::vector<float> ref(rows * cols), fast(rows * cols);
        bias_gelu_forward(context_of(BackendKind::Reference), x.data(), bias.data(), ref.data(), rows, cols);
        bias_gelu_forward(context_of(BackendKind::Cpu), x.data(), bias.data(), fast.data(), rows, cols);
        CHECK(record_error(isa_label("bias_gelu_forward"), max_relative_error(fast, ref)) < kElementwiseTolerance);
        // Elementwise too, with a small floor, so the negative tail is held to account.
        double worst = 0.0;
        for (size_t i = 0; i < ref.size(); ++i)
          worst = std::max(worst, std::abs(double(fast[i]) - ref[i]) / std::max(std::abs(double(ref[i])), 1e-6));
        CHECK(record_error(isa_label("bias_gelu_forward elementwise (floor 1e-6)"), worst) < 2e-5);
      }
  }
}

TEST_CASE("layer_norm: cpu matches reference", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 200;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (int64_t rows : {1, 33, 1024})
      for (int64_t cols : {1, 5, 16, 128, 130}) {
        INFO(cpu_isa_name(isa) << " rows " << rows << " cols " << cols);
        auto x = random_values(rows * cols, seed++, 3.0);
        for (auto& v : x) v += 2.0f;  // a mean away from zero
        const auto gamma = random_range(cols, seed++, 0.5, 1.5);
        const auto beta = random_values(cols, seed++);
        std::vector<float> ref(rows * cols), fast(rows * cols), ref_mean(rows), fast_mean(rows),
            ref_rstd(rows), fast_rstd(rows);
        layer_norm_forward(context_of(BackendKind::Reference), x.data(), gamma.data(), beta.data(), ref.data(), ref_mean.data(), ref_rstd.data(), rows, cols, 1e-5f);
        layer_norm_forward(context_of(BackendKind::Cpu), x.data(), gamma.data(), beta.data(), fast.data(), fast_mean.data(), fast_rstd.data(), rows, cols, 1e-5f);
        CHECK(record_error(isa_label("layer_norm_forward"), max_relative_error(fast, ref)) < kRowTolerance);
        CHECK(max_relative_error(fast_mean, ref_mean) < kRowTolerance);
        CHECK(max_relative_error(fast_rstd, ref_rstd) < kRowTolerance);
      }
  }
}

TEST_CASE("softmax: cpu matches reference", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 300;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (int64_t rows : {1, 9, 512})
      for (int64_t cols : {1, 7, 42, 128}) {
        INFO(cpu_isa_name(isa) << " rows " << rows << " cols " << cols);
        const auto x = random_values(rows * cols, seed++, 20.0);
        std::vector<float> ref(rows * cols), fast(rows * cols);
        softmax_forward(context_of(BackendKind::Reference), x.data(), ref.data(), rows, cols);
        softmax_forward(context_of(BackendKind::Cpu), x.data(), fast.data(), rows, cols);
        CHECK(record_error(isa_label("softmax_forward"), max_relative_error(fast, ref)) < kRowTolerance);
      }
  }
}

namespace {

struct AttentionCase {
  int64_t batch, tokens, heads, head_dim;
  bool fused;  // q, k, v inside one [rows, 3 d_model] buffer
};

const std::vector<AttentionCase>& attention_cases() {
  static const std::vector<AttentionCase> cases{
      {1, 1, 1, 1, false},  {2, 2, 1, 5, false},   {3, 7, 3, 8, true},    {1, 8, 2, 16, false},
      {2, 9, 4, 3, true},   {2, 42, 8, 16, true},  {1, 128, 16, 8, true}, {1, 128, 1, 32, false},
      {1, 57, 16, 4, false}, {256, 42, 8, 16, true}, {2, 17, 3, 24, false}, {1, 33, 2, 64, true},
      {2, 11, 5, 12, true},  {1, 100, 4, 20, false}, {3, 16, 16, 16, true}};
  return cases;
}

struct AttentionData {
  AttentionDims dims;
  std::vector<float> qkv;  // fused: one buffer; else q, k, v one after the other
  const float* q;
  const float* k;
  const float* v;

  AttentionData(const AttentionCase& c, unsigned seed) {
    const int64_t d_model = c.heads * c.head_dim, rows = c.batch * c.tokens;
    dims = AttentionDims{c.batch, c.tokens, c.heads, c.head_dim, c.fused ? 3 * d_model : d_model, d_model};
    qkv = random_values(3 * rows * d_model, seed, 2.0);
    q = qkv.data();
    k = qkv.data() + (c.fused ? d_model : rows * d_model);
    v = qkv.data() + (c.fused ? 2 * d_model : 2 * rows * d_model);
  }
  int64_t out_size() const { return dims.batch * dims.tokens * dims.ld_out; }
  int64_t lse_size() const { return dims.batch * dims.heads * dims.tokens; }
};

// The forward pass of one backend: out and lse.
struct AttentionResult {
  std::vector<float> out, lse;
};
AttentionResult run_attention(BackendKind backend, const AttentionData& data) {
  AttentionResult r{std::vector<float>(data.out_size()), std::vector<float>(data.lse_size())};
  std::vector<float> workspace(attention_workspace_floats(data.dims));
  attention_forward(context_of(backend), data.dims, data.q, data.k, data.v, r.out.data(), r.lse.data(), workspace.data());
  return r;
}

}  // namespace

TEST_CASE("attention: cpu matches reference", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 400;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const auto& c : attention_cases()) {
      INFO(cpu_isa_name(isa) << " batch " << c.batch << " tokens " << c.tokens << " heads " << c.heads << " head_dim " << c.head_dim);
      const AttentionData data(c, seed++);
      const AttentionResult ref = run_attention(BackendKind::Reference, data), fast = run_attention(BackendKind::Cpu, data);
      CHECK(record_error(isa_label("attention_forward"), max_relative_error(fast.out, ref.out)) < kAttentionTolerance);
      CHECK(record_error(isa_label("attention_forward lse"), max_relative_error(fast.lse, ref.lse)) < kAttentionTolerance);
    }
  }
}

// Scores in the hundreds, all far below zero in some rows: the softmax must
// shift by the true row maximum (the padding columns of a row must not take
// part in it), or its exponentials underflow to a zero sum.
TEST_CASE("attention: large and very negative scores", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 450;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const AttentionCase c : {AttentionCase{2, 42, 8, 16, true}, AttentionCase{1, 57, 4, 8, false},
                                  AttentionCase{1, 5, 2, 4, false}}) {
      INFO(cpu_isa_name(isa) << " tokens " << c.tokens << " heads " << c.heads);
      AttentionData data(c, seed++);
      // q rows of 30 |noise| + 1 against k rows of -|noise| - 1/2: every score is negative, many far below -50.
      const int64_t d_model = c.heads * c.head_dim, ld = data.dims.ld_qkv;
      for (int64_t r = 0; r < c.batch * c.tokens; ++r)
        for (int64_t j = 0; j < d_model; ++j) {
          float* q = const_cast<float*>(data.q) + r * ld + j;
          float* k = const_cast<float*>(data.k) + r * ld + j;
          *q = 30.0f * std::abs(*q) + 1.0f;
          *k = -std::abs(*k) - 0.5f;
        }
      const AttentionResult ref = run_attention(BackendKind::Reference, data), fast = run_attention(BackendKind::Cpu, data);
      REQUIRE(*std::min_element(ref.lse.begin(), ref.lse.end()) < -50.0f);
      REQUIRE(*std::max_element(ref.lse.begin(), ref.lse.end()) < 0.0f);
      // A score s carries a float rounding of about |s| 6e-8 in either
      // implementation, so at |s| ~ 200 the weights may differ by ~1e-5.
      CHECK(max_relative_error(fast.out, ref.out) < 1e-4);
      CHECK(max_relative_error(fast.lse, ref.lse) < kAttentionTolerance);
    }
  }
}

TEST_CASE("attention backward: cpu matches reference", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 450;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const auto& c : attention_cases()) {
      if (c.tokens == 1) continue;  // one key: dQ = dK = 0, no relative error to take (test_grad.cpp)
      INFO(cpu_isa_name(isa) << " batch " << c.batch << " tokens " << c.tokens << " heads " << c.heads << " head_dim " << c.head_dim);
      const AttentionData data(c, seed++);
      const AttentionDims& dims = data.dims;
      const auto dout = random_values(data.out_size(), seed++);
      std::vector<float> out(data.out_size()), lse(data.lse_size()), workspace(attention_workspace_floats(dims));
      attention_forward(context_of(BackendKind::Reference), dims, data.q, data.k, data.v, out.data(), lse.data(), workspace.data());
      // One gradient buffer shaped like qkv per backend; the columns no head owns stay 0 in both.
      const size_t grad_size = data.qkv.size();
      const int64_t k_off = data.k - data.q, v_off = data.v - data.q;
      std::vector<float> ref(grad_size, 0.0f), fast(grad_size, 0.0f);
      attention_backward(context_of(BackendKind::Reference), dims, data.q, data.k, data.v, out.data(), lse.data(), dout.data(),
                         ref.data(), ref.data() + k_off, ref.data() + v_off, workspace.data());
      attention_backward(context_of(BackendKind::Cpu), dims, data.q, data.k, data.v, out.data(), lse.data(), dout.data(),
                         fast.data(), fast.data() + k_off, fast.data() + v_off, workspace.data());
      CHECK(record_error(isa_label("attention_backward"), max_relative_error(fast, ref)) < kAttentionTolerance);
    }
  }
}

// Each (batch, head) is computed alone: one call over the batch gives the
// bits of one call per batch element, whatever the prefetching across heads.
TEST_CASE("attention: cpu results do not depend on how the batch is split", "[kernels]") {
  IsaSweep sweep;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const AttentionCase c : {AttentionCase{5, 42, 8, 16, true}, AttentionCase{3, 13, 3, 12, false}}) {
      INFO(cpu_isa_name(isa) << " tokens " << c.tokens << " head_dim " << c.head_dim);
      const AttentionData data(c, 470);
      const AttentionDims& dims = data.dims;
      const auto dout = random_values(data.out_size(), 471);
      const int64_t k_off = data.k - data.q, v_off = data.v - data.q;
      std::vector<float> out(data.out_size()), lse(data.lse_size()), grad(data.qkv.size(), 0.0f),
          workspace(attention_workspace_floats(dims));
      attention_forward(context_of(BackendKind::Cpu), dims, data.q, data.k, data.v, out.data(), lse.data(), workspace.data());
      attention_backward(context_of(BackendKind::Cpu), dims, data.q, data.k, data.v, out.data(), lse.data(), dout.data(),
                         grad.data(), grad.data() + k_off, grad.data() + v_off, workspace.data());
      REQUIRE_FALSE(any_nan(grad));
      std::vector<float> split_out(out.size()), split_lse(lse.size()), split_grad(grad.size(), 0.0f);
      AttentionDims one = dims;
      one.batch = 1;
      for (int64_t b = 0; b < dims.batch; ++b) {
        const int64_t in = b * dims.tokens * dims.ld_qkv, o = b * dims.tokens * dims.ld_out,
                      l = b * dims.heads * dims.tokens;
        attention_forward(context_of(BackendKind::Cpu), one, data.q + in, data.k + in, data.v + in, split_out.data() + o,
                          split_lse.data() + l, workspace.data());
        attention_backward(context_of(BackendKind::Cpu), one, data.q + in, data.k + in, data.v + in, out.data() + o, lse.data() + l,
                           dout.data() + o, split_grad.data() + in, split_grad.data() + k_off + in,
                           split_grad.data() + v_off + in, workspace.data());
      }
      CHECK(split_out == out);
      CHECK(split_lse == lse);
      CHECK(split_grad == grad);
    }
  }
}

// Explanations read the probabilities P = softmax(Q K^T / sqrt(head_dim)) the forward computes:
// both backends against the same softmax evaluated here in double, each row summing to 1, and
// asking for them leaves out and lse as they were, bit for bit.
TEST_CASE("attention: the probabilities on request, the forward unchanged", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 480;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const AttentionCase c : {AttentionCase{2, 42, 8, 16, true}, AttentionCase{3, 9, 2, 5, false},
                                  AttentionCase{1, 1, 1, 4, false}, AttentionCase{1, 17, 3, 8, true}}) {
      INFO(cpu_isa_name(isa) << " batch " << c.batch << " tokens " << c.tokens << " heads " << c.heads);
      const AttentionData data(c, seed++);
      const AttentionDims& d = data.dims;
      const int64_t n = d.tokens, dh = d.head_dim;
      std::vector<float> want(static_cast<size_t>(d.batch * d.heads * n * n));
      for (int64_t b = 0; b < d.batch; ++b)
        for (int64_t h = 0; h < d.heads; ++h)
          for (int64_t i = 0; i < n; ++i) {
            std::vector<double> row(static_cast<size_t>(n));
            for (int64_t j = 0; j < n; ++j) {
              double dot = 0.0;
              for (int64_t x = 0; x < dh; ++x)
                dot += static_cast<double>(data.q[(b * n + i) * d.ld_qkv + h * dh + x]) *
                       data.k[(b * n + j) * d.ld_qkv + h * dh + x];
              row[static_cast<size_t>(j)] = dot / std::sqrt(static_cast<double>(dh));
            }
            const double top = *std::max_element(row.begin(), row.end());
            double total = 0.0;
            for (double& r : row) total += (r = std::exp(r - top));
            for (int64_t j = 0; j < n; ++j)
              want[static_cast<size_t>(((b * d.heads + h) * n + i) * n + j)] =
                  static_cast<float>(row[static_cast<size_t>(j)] / total);
          }
      for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
        INFO(backend_name(backend));
        const AttentionResult plain = run_attention(backend, data);
        AttentionResult with{std::vector<float>(data.out_size()), std::vector<float>(data.lse_size())};
        std::vector<float> probabilities(want.size(), -1.0f), workspace(attention_workspace_floats(d));
        attention_forward(context_of(backend), d, data.q, data.k, data.v, with.out.data(), with.lse.data(),
                          workspace.data(), probabilities.data());
        CHECK(with.out == plain.out);
        CHECK(with.lse == plain.lse);
        CHECK(record_error(isa_label("attention probabilities"), max_relative_error(probabilities, want)) <
              kAttentionTolerance);
        for (int64_t r = 0; r < d.batch * d.heads * n; ++r) {
          double total = 0.0;
          for (int64_t j = 0; j < n; ++j) total += probabilities[static_cast<size_t>(r * n + j)];
          CHECK(total == Approx(1.0).epsilon(1e-5));  // float rounding over <= 42 terms
        }
      }
    }
  }
}

TEST_CASE("quantile head and series normalisation: cpu matches reference", "[kernels]") {
  IsaSweep sweep;
  unsigned seed = 500;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (int64_t rows : {1, 7, 1024}) {
      for (int64_t nq : {1, 3, 9})
        for (int64_t median : {int64_t{0}, nq / 2, nq - 1}) {
          INFO(cpu_isa_name(isa) << " rows " << rows << " quantiles " << nq << " median " << median);
          const auto raw = random_values(rows * nq, seed++, 30.0);  // both softplus tails
          std::vector<float> ref(rows * nq), fast(rows * nq);
          quantile_head_forward(context_of(BackendKind::Reference), raw.data(), ref.data(), rows, nq, median);
          quantile_head_forward(context_of(BackendKind::Cpu), raw.data(), fast.data(), rows, nq, median);
          CHECK(record_error(isa_label("quantile_head_forward"), max_relative_error(fast, ref)) < kElementwiseTolerance);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 1; j < nq; ++j) REQUIRE(fast[r * nq + j] >= fast[r * nq + j - 1]);
        }
      for (int64_t len : {1, 7, 336})
        for (int64_t channels : {1, 3}) {
          INFO(cpu_isa_name(isa) << " rows " << rows << " length " << len << " channels " << channels);
          auto x = random_range(rows * len, seed++, 0.0, 50.0);
          const auto gamma = random_range(channels, seed++, 0.5, 2.0);
          const auto beta = random_values(channels, seed++);
          std::vector<float> ref(rows * len), fast(rows * len), ref_mean(rows), fast_mean(rows),
              ref_sd(rows), fast_sd(rows);
          revin_normalize_forward(context_of(BackendKind::Reference), x.data(), gamma.data(), beta.data(), ref.data(), ref_mean.data(), ref_sd.data(), rows, len, channels, 1e-5f);
          revin_normalize_forward(context_of(BackendKind::Cpu), x.data(), gamma.data(), beta.data(), fast.data(), fast_mean.data(), fast_sd.data(), rows, len, channels, 1e-5f);
          CHECK(record_error(isa_label("revin_normalize_forward"), max_relative_error(fast, ref)) < kRowTolerance);
          CHECK(max_relative_error(fast_mean, ref_mean) < kRowTolerance);
          CHECK(max_relative_error(fast_sd, ref_sd) < kRowTolerance);

          const auto z = random_values(rows * len, seed++, 3.0);
          std::vector<float> ref_y(rows * len), fast_y(rows * len);
          revin_denormalize_forward(context_of(BackendKind::Reference), z.data(), gamma.data(), beta.data(), ref_mean.data(), ref_sd.data(), ref_y.data(), rows, len, channels);
          revin_denormalize_forward(context_of(BackendKind::Cpu), z.data(), gamma.data(), beta.data(), ref_mean.data(), ref_sd.data(), fast_y.data(), rows, len, channels);
          CHECK(record_error(isa_label("revin_denormalize_forward"), max_relative_error(fast_y, ref_y)) < kElementwiseTolerance);

          std::vector<float> ref_s(rows * len), fast_s(rows * len), ref_scale(rows), fast_scale(rows);
          mean_abs_scale_forward(context_of(BackendKind::Reference), x.data(), ref_s.data(), ref_scale.data(), rows, len, 1e-3f);
          mean_abs_scale_forward(context_of(BackendKind::Cpu), x.data(), fast_s.data(), fast_scale.data(), rows, len, 1e-3f);
          CHECK(record_error(isa_label("mean_abs_scale_forward"), max_relative_error(fast_s, ref_s)) < kRowTolerance);
          CHECK(max_relative_error(fast_scale, ref_scale) < kRowTolerance);
          std::vector<float> ref_u(rows * len), fast_u(rows * len);
          mean_abs_unscale(context_of(BackendKind::Reference), z.data(), ref_scale.data(), ref_u.data(), rows, len);
          mean_abs_unscale(context_of(BackendKind::Cpu), z.data(), ref_scale.data(), fast_u.data(), rows, len);
          CHECK(record_error(isa_label("mean_abs_unscale"), max_relative_error(fast_u, ref_u)) < kElementwiseTolerance);
        }
    }
  }
}

TEST_CASE("a NaN in the input gives NaN in the output of every backend", "[kernels]") {
  IsaSweep sweep;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
      INFO(backend_name(backend) << " " << cpu_isa_name(isa));
      const int64_t rows = 4, cols = 19;
      auto x = random_values(rows * cols, 7);
      x[1 * cols + 11] = kNaN;  // row 1
      const auto w = random_values(cols * cols, 8);
      const auto ones = random_range(cols, 9, 0.5, 1.5);
      std::vector<float> y(rows * cols), stat_a(rows), stat_b(rows);

      linear_forward(context_of(backend), x.data(), w.data(), nullptr, y.data(), rows, cols, cols);
      CHECK(all_nan(y.data() + cols, cols));
      CHECK(!std::isnan(y[0]));

      linear_gelu_forward(context_of(backend), x.data(), w.data(), ones.data(), y.data(), rows, cols, cols);
      CHECK(all_nan(y.data() + cols, cols));
      CHECK(!std::isnan(y[0]));

      bias_gelu_forward(context_of(backend), x.data(), ones.data(), y.data(), rows, cols);
      CHECK(std::isnan(y[1 * cols + 11]));
      CHECK(!std::isnan(y[1 * cols + 10]));

      layer_norm_forward(context_of(backend), x.data(), ones.data(), ones.data(), y.data(), stat_a.data(), stat_b.data(), rows, cols, 1e-5f);
      CHECK(all_nan(y.data() + cols, cols));
      CHECK(!any_nan(std::vector<float>(y.begin(), y.begin() + cols)));

      softmax_forward(context_of(backend), x.data(), y.data(), rows, cols);
      CHECK(all_nan(y.data() + cols, cols));

      revin_normalize_forward(context_of(backend), x.data(), ones.data(), ones.data(), y.data(), stat_a.data(), stat_b.data(), rows, cols, 1, 1e-5f);
      CHECK(all_nan(y.data() + cols, cols));
      CHECK(std::isnan(stat_a[1]));

      mean_abs_scale_forward(context_of(backend), x.data(), y.data(), stat_a.data(), rows, cols, 1e-3f);
      CHECK(all_nan(y.data() + cols, cols));
      CHECK(std::isnan(stat_a[1]));

      // Quantile head: a NaN median poisons its whole row; an upper raw value only the quantiles above it.
      std::vector<float> raw = random_values(2 * 5, 10), q(10);
      raw[2] = kNaN;
      raw[5 + 3] = kNaN;
      quantile_head_forward(context_of(backend), raw.data(), q.data(), 2, 5, 2);
      CHECK(all_nan(q.data(), 5));
      CHECK(all_nan(q.data() + 8, 2));
      CHECK(!any_nan(std::vector<float>(q.begin() + 5, q.begin() + 8)));

      // Attention: a NaN key poisons its (batch, head) only.
      const AttentionDims dims{2, 9, 2, 8, 16, 16};
      auto q_in = random_values(2 * 9 * 16, 11), k_in = random_values(2 * 9 * 16, 12), v_in = random_values(2 * 9 * 16, 13);
      k_in[(1 * 9 + 4) * 16 + 8 + 3] = kNaN;  // batch 1, token 4, head 1
      std::vector<float> out(2 * 9 * 16), lse(2 * 2 * 9), workspace(attention_workspace_floats(dims));
      attention_forward(context_of(backend), dims, q_in.data(), k_in.data(), v_in.data(), out.data(), lse.data(), workspace.data());
      for (int64_t t = 0; t < 9; ++t) {
        CHECK(all_nan(out.data() + (9 + t) * 16 + 8, 8));
        CHECK(!any_nan(std::vector<float>(out.begin() + (9 + t) * 16, out.begin() + (9 + t) * 16 + 8)));
      }
      CHECK(!any_nan(std::vector<float>(out.begin(), out.begin() + 9 * 16)));
    }
  }
}

TEST_CASE("linear: concurrent calls from many threads give the single-thread results bit for bit", "[kernels][threads]") {
  struct Shape {
    int64_t rows, in, out;
  };
  // Shapes shared between threads (one cached primitive, per-thread handles) and a fresh one each.
  const std::vector<Shape> shapes{{42, 128, 384}, {7, 16, 128}, {64, 256, 128}, {3, 5, 9}};
  std::vector<std::vector<float>> inputs, weights, expected;
  unsigned seed = 900;
  for (const auto& s : shapes) {
    inputs.push_back(random_values(s.rows * s.in, seed++));
    weights.push_back(random_values(s.out * s.in, seed++, 0.2));
    expected.emplace_back(s.rows * s.out);
    linear_forward(context_of(BackendKind::Cpu), inputs.back().data(), weights.back().data(), nullptr, expected.back().data(), s.rows, s.in, s.out);
  }
  constexpr int kThreads = 8;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 20; ++repeat)
        for (size_t i = 0; i < shapes.size(); ++i) {
          const auto& s = shapes[(i + t) % shapes.size()];
          const size_t which = (i + t) % shapes.size();
          std::vector<float> y(s.rows * s.out);
          linear_forward(context_of(BackendKind::Cpu), inputs[which].data(), weights[which].data(), nullptr, y.data(), s.rows, s.in, s.out);
          if (y != expected[which]) ++mismatches[t];
        }
    });
  for (auto& thread : threads) thread.join();
  CHECK(mismatches == std::vector<int>(kThreads, 0));
}
