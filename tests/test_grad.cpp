// Backward passes.  (1) Every reference backward against central finite
// differences in float64 (ggml's "grad" mode): for a random upstream gradient
// dy, the analytic gradient of L = sum(dy * f(inputs)) must match
// (L(x + h) - L(x - h)) / 2h.  (2) The Cpu backend's backward (every ISA this
// CPU runs) against the Reference backend's, fp32, on many shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ops.hpp"
#include "reference.hpp"
#include "test_kernels_util.hpp"

using namespace invforecast::kernels;
using namespace invforecast::kernels::testing;
namespace ref = invforecast::kernels::reference;

namespace {

using Vec = std::vector<double>;

// Central differences (finite_difference_error, step 1e-5) are exact to O(h^2) ~ 1e-10 here;
// rounding adds ~1e-10 / h.
constexpr double kGradTolerance = 1e-6;

double weighted_sum(const Vec& values, const Vec& weights) {
  double total = 0.0;
  for (size_t i = 0; i < values.size(); ++i) total += values[i] * weights[i];
  return total;
}

// fp32 tolerance of Cpu vs Reference backward passes (summation order only).
constexpr double kBackwardTolerance = 1e-5;

std::string isa_label(const char* op) { return std::string(op) + " [" + cpu_isa_name(active_cpu_isa()) + "]"; }

}  // namespace

TEST_CASE("grad: linear", "[grad]") {
  const int64_t rows = 4, in = 5, out = 3;
  Vec x = random_values<double>(rows * in, 1), w = random_values<double>(out * in, 2),
      b = random_values<double>(out, 3), dy = random_values<double>(rows * out, 4);
  Vec dx(rows * in), dw(out * in), db(out), y(rows * out);
  ref::linear_backward(x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), rows, in, out);
  auto loss = [&] {
    ref::linear_forward(x.data(), w.data(), b.data(), y.data(), rows, in, out);
    return weighted_sum(y, dy);
  };
  CHECK(record_error("grad linear dx", finite_difference_error(x, dx, loss)) < kGradTolerance);
  CHECK(record_error("grad linear dw", finite_difference_error(w, dw, loss)) < kGradTolerance);
  CHECK(record_error("grad linear db", finite_difference_error(b, db, loss)) < kGradTolerance);
}

TEST_CASE("grad: bias_gelu", "[grad]") {
  const int64_t rows = 3, cols = 7;
  Vec x = random_values<double>(rows * cols, 5, 3.0), bias = random_values<double>(cols, 6),
      dy = random_values<double>(rows * cols, 7);
  Vec dx(rows * cols), dbias(cols), y(rows * cols);
  ref::bias_gelu_backward(x.data(), bias.data(), dy.data(), dx.data(), dbias.data(), rows, cols);
  auto loss = [&] {
    ref::bias_gelu_forward(x.data(), bias.data(), y.data(), rows, cols);
    return weighted_sum(y, dy);
  };
  CHECK(record_error("grad bias_gelu dx", finite_difference_error(x, dx, loss)) < kGradTolerance);
  CHECK(record_error("grad bias_gelu dbias", finite_difference_error(bias, dbias, loss)) < kGradTolerance);
}

TEST_CASE("grad: layer_norm", "[grad]") {
  const int64_t rows = 3, cols = 6;
  Vec x = random_values<double>(rows * cols, 8, 2.0), gamma = random_range<double>(cols, 9, 0.5, 1.5),
      beta = random_values<double>(cols, 10), dy = random_values<double>(rows * cols, 11);
  Vec y(rows * cols), mean(rows), rstd(rows), dx(rows * cols), dgamma(cols), dbeta(cols);
  ref::layer_norm_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), rstd.data(), rows, cols, 1e-5);
  ref::layer_norm_backward(x.data(), gamma.data(), dy.data(), mean.data(), rstd.data(), dx.data(), dgamma.data(), dbeta.data(), rows, cols);
  auto loss = [&] {
    ref::layer_norm_forward<double>(x.data(), gamma.data(), beta.data(), y.data(), nullptr, nullptr, rows, cols, 1e-5);
    return weighted_sum(y, dy);
  };
  CHECK(record_error("grad layer_norm dx", finite_difference_error(x, dx, loss)) < kGradTolerance);
  CHECK(record_error("grad layer_norm dgamma", finite_difference_error(gamma, dgamma, loss)) < kGradTolerance);
  CHECK(record_error("grad layer_norm dbeta", finite_difference_error(beta, dbeta, loss)) < kGradTolerance);
}

TEST_CASE("grad: softmax", "[grad]") {
  const int64_t rows = 3, cols = 5;
  Vec x = random_values<double>(rows * cols, 12, 3.0), dy = random_values<double>(rows * cols, 13);
  Vec y(rows * cols), dx(rows * cols);
  ref::softmax_forward(x.data(), y.data(), rows, cols);
  ref::softmax_backward(y.data(), dy.data(), dx.data(), rows, cols);
  auto loss = [&] {
    ref::softmax_forward(x.data(), y.data(), rows, cols);
    return weighted_sum(y, dy);
  };
  CHECK(record_error("grad softmax dx", finite_difference_error(x, dx, loss)) < kGradTolerance);
}

TEST_CASE("grad: attention", "[grad]") {
  // Fused QKV layout ([rows, 3 d_model]) and separate buffers.
  for (bool fused : {true, false}) {
    INFO("fused " << fused);
    const int64_t batch = 2, tokens = 5, heads = 2, head_dim = 3, d_model = heads * head_dim;
    const int64_t rows = batch * tokens, ld = fused ? 3 * d_model : d_model;
    const AttentionDims dims{batch, tokens, heads, head_dim, ld, d_model};
    Vec q = random_values<double>(rows * ld, 14, 1.5), k = random_values<double>(rows * ld, 15, 1.5),
        v = random_values<double>(rows * ld, 16), dout = random_values<double>(rows * d_model, 17);
    Vec out(rows * d_model), lse(batch * heads * tokens), dq(rows * ld, 0.0), dk(rows * ld, 0.0), dv(rows * ld, 0.0);
    ref::attention_forward(dims, q.data(), k.data(), v.data(), out.data(), lse.data());
    ref::attention_backward(dims, q.data(), k.data(), v.data(), out.data(), lse.data(), dout.data(), dq.data(), dk.data(), dv.data());
    auto loss = [&] {
      ref::attention_forward<double>(dims, q.data(), k.data(), v.data(), out.data(), nullptr);
      return weighted_sum(out, dout);
    };
    // Columns outside the heads (the other two thirds of a fused row) get a zero gradient both ways.
    CHECK(record_error("grad attention dq", finite_difference_error(q, dq, loss)) < kGradTolerance);
    CHECK(record_error("grad attention dk", finite_difference_error(k, dk, loss)) < kGradTolerance);
    CHECK(record_error("grad attention dv", finite_difference_error(v, dv, loss)) < kGradTolerance);
  }
}

TEST_CASE("grad: quantile head", "[grad]") {
  const int64_t rows = 3, nq = 7;
  for (int64_t median : {int64_t{0}, int64_t{3}, int64_t{6}}) {
    INFO("median " << median);
    Vec raw = random_values<double>(rows * nq, 18, 4.0), dq = random_values<double>(rows * nq, 19);
    Vec q(rows * nq), draw(rows * nq);
    ref::quantile_head_backward(raw.data(), dq.data(), draw.data(), rows, nq, median);
    auto loss = [&] {
      ref::quantile_head_forward(raw.data(), q.data(), rows, nq, median);
      return weighted_sum(q, dq);
    };
    CHECK(record_error("grad quantile_head draw", finite_difference_error(raw, draw, loss)) < kGradTolerance);
  }
}

TEST_CASE("grad: revin and mean-absolute scaling", "[grad]") {
  const int64_t rows = 4, len = 6, channels = 2;
  Vec x = random_range<double>(rows * len, 20, 0.0, 10.0), gamma = random_range<double>(channels, 21, 0.5, 2.0),
      beta = random_values<double>(channels, 22), dy = random_values<double>(rows * len, 23);
  Vec y(rows * len), mean(rows), sd(rows), dgamma(channels), dbeta(channels);
  ref::revin_normalize_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), sd.data(), rows, len, channels, 1e-5);
  ref::revin_normalize_backward(x.data(), mean.data(), sd.data(), dy.data(), dgamma.data(), dbeta.data(), rows, len, channels);
  Vec mean_scratch(rows), sd_scratch(rows);
  auto normalize_loss = [&] {
    ref::revin_normalize_forward(x.data(), gamma.data(), beta.data(), y.data(), mean_scratch.data(), sd_scratch.data(), rows, len, channels, 1e-5);
    return weighted_sum(y, dy);
  };
  CHECK(record_error("grad revin_normalize dgamma", finite_difference_error(gamma, dgamma, normalize_loss)) < kGradTolerance);
  CHECK(record_error("grad revin_normalize dbeta", finite_difference_error(beta, dbeta, normalize_loss)) < kGradTolerance);

  // Denormalisation with the statistics held fixed.
  Vec z = random_values<double>(rows * len, 24, 2.0), dz(rows * len), dgamma_out(channels), dbeta_out(channels);
  ref::revin_denormalize_backward(z.data(), gamma.data(), beta.data(), sd.data(), dy.data(), dz.data(), dgamma_out.data(), dbeta_out.data(), rows, len, channels);
  auto denormalize_loss = [&] {
    ref::revin_denormalize_forward(z.data(), gamma.data(), beta.data(), mean.data(), sd.data(), y.data(), rows, len, channels);
    return weighted_sum(y, dy);
  };
  CHECK(record_error("grad revin_denormalize dz", finite_difference_error(z, dz, denormalize_loss)) < kGradTolerance);
  CHECK(record_error("grad revin_denormalize dgamma", finite_difference_error(gamma, dgamma_out, denormalize_loss)) < kGradTolerance);
  CHECK(record_error("grad revin_denormalize dbeta", finite_difference_error(beta, dbeta_out, denormalize_loss)) < kGradTolerance);

  // Unscaling is linear in z with slope scale: its backward is unscaling dy.
  Vec scaled(rows * len), scale(rows), dz_scale(rows * len);
  ref::mean_abs_scale_forward(x.data(), scaled.data(), scale.data(), rows, len, 1e-3);
  ref::mean_abs_unscale(dy.data(), scale.data(), dz_scale.data(), rows, len);
  auto unscale_loss = [&] {
    ref::mean_abs_unscale(z.data(), scale.data(), y.data(), rows, len);
    return weighted_sum(y, dy);
  };
  CHECK(record_error("grad mean_abs_unscale dz", finite_difference_error(z, dz_scale, unscale_loss)) < kGradTolerance);
}

// The covariates' data-movement ops (through ops.hpp's dispatch, on both host backends), each
// backward against finite differences of its forward: a sum of groups (with the 1/N of a mean),
// a broadcast into groups, strided copies, embedding lookups into strided rows (one table read
// by repeated codes, so the scatter must add), channel-major patches of time-major channels
// (overlapping, with the end repeated).
TEST_CASE("grad: covariate data movement", "[grad]") {
  const Context& ctx = context_of(BackendKind::Reference);
  const int64_t groups = 3, group_rows = 4, cols = 5;
  {
    Vec x = random_values<double>(groups * group_rows * cols, 30), dy = random_values<double>(groups * cols, 31);
    Vec y(groups * cols), dx(groups * group_rows * cols, 0.0);
    add_groups(ctx, dy.data(), dx.data(), groups, group_rows, cols, 0.25);  // the adjoint, adding into zeros
    auto loss = [&] {
      sum_groups(ctx, x.data(), y.data(), groups, group_rows, cols, 0.25);
      return weighted_sum(y, dy);
    };
    CHECK(record_error("grad sum_groups dx", finite_difference_error(x, dx, loss)) < kGradTolerance);
  }
  {
    Vec x = random_values<double>(groups * cols, 32), dy = random_values<double>(groups * group_rows * cols, 33);
    Vec y(groups * group_rows * cols), dx(groups * cols);
    sum_groups(ctx, dy.data(), dx.data(), groups, group_rows, cols, 1.0);
    auto loss = [&] {
      std::fill(y.begin(), y.end(), 0.0);
      add_groups(ctx, x.data(), y.data(), groups, group_rows, cols, 1.0);
      return weighted_sum(y, dy);
    };
    CHECK(record_error("grad add_groups dx", finite_difference_error(x, dx, loss)) < kGradTolerance);
  }
  {
    // Columns 1..3 of 6 into columns 2..4 of 7.
    const int64_t rows = 4;
    Vec src = random_values<double>(rows * 6, 34), dy = random_values<double>(rows * 7, 35);
    Vec y(rows * 7, 0.0), dsrc(rows * 6, 0.0);
    copy_block(ctx, dy.data() + 2, 7, dsrc.data() + 1, 6, rows, 3);
    auto loss = [&] {
      copy_block(ctx, src.data() + 1, 6, y.data() + 2, 7, rows, 3);
      return weighted_sum(y, dy);
    };
    CHECK(record_error("grad copy_block", finite_difference_error(src, dsrc, loss)) < kGradTolerance);
  }
  {
    const int64_t rows = 9, entries = 4, dim = 3, out_ld = 5, code_stride = 2;
    std::vector<int32_t> codes(rows * code_stride);
    for (int64_t r = 0; r < rows; ++r) codes[r * code_stride + 1] = static_cast<int32_t>((r * 7) % entries);
    Vec table = random_values<double>(entries * dim, 36), dy = random_values<double>(rows * out_ld, 37);
    Vec y(rows * out_ld, 0.0), dtable(entries * dim, 0.0);
    embedding_scatter_add(ctx, dy.data() + 1, out_ld, codes.data() + 1, code_stride, dtable.data(), rows, entries, dim);
    auto loss = [&] {
      embedding_gather(ctx, table.data(), codes.data() + 1, code_stride, y.data() + 1, out_ld, rows, entries, dim);
      return weighted_sum(y, dy);
    };
    CHECK(record_error("grad embedding table", finite_difference_error(table, dtable, loss)) < kGradTolerance);
    codes[2 * code_stride + 1] = entries;
    CHECK_THROWS_AS(embedding_gather(ctx, table.data(), codes.data() + 1, code_stride, y.data(), out_ld, rows, entries, dim),
                    invforecast::Error);
  }
  for (BackendKind kind : {BackendKind::Reference, BackendKind::Cpu}) {
    const int64_t series = 2, length = 11, channels = 3, patch = 4, stride = 3, tokens = 4;
    Vec x = random_values<double>(series * length * channels, 38), dy = random_values<double>(series * tokens * channels * patch, 39);
    Vec y(dy.size()), dx(x.size());
    if (kind == BackendKind::Cpu) {
      // float only on Cpu: the same loops, checked against the reference's result.
      std::vector<float> xf(x.begin(), x.end()), yf(y.size()), yr(y.size());
      patchify_channels_forward(context_of(BackendKind::Cpu), xf.data(), yf.data(), series, length, channels, patch, stride, tokens);
      patchify_channels_forward(ctx, xf.data(), yr.data(), series, length, channels, patch, stride, tokens);
      CHECK(yf == yr);
      continue;
    }
    patchify_channels_backward(ctx, dy.data(), dx.data(), series, length, channels, patch, stride, tokens);
    auto loss = [&] {
      patchify_channels_forward(ctx, x.data(), y.data(), series, length, channels, patch, stride, tokens);
      return weighted_sum(y, dy);
    };
    CHECK(record_error("grad patchify_channels dx", finite_difference_error(x, dx, loss)) < kGradTolerance);
    // Token 1, channel 2, day 3 of the patch reads day 1*3 + 3 of channel 2.
    patchify_channels_forward(ctx, x.data(), y.data(), series, length, channels, patch, stride, tokens);
    CHECK(y[(0 * tokens + 1) * channels * patch + 2 * patch + 3] == x[(0 * length + 6) * channels + 2]);
    // The last token's end repeats day length - 1.
    CHECK(y[(1 * tokens + 3) * channels * patch + 0 * patch + 3] == x[(1 * length + length - 1) * channels + 0]);
  }
}

TEST_CASE("backward: cpu matches reference (dense ops)", "[grad]") {
  IsaSweep sweep;
  unsigned seed = 1000;
  struct Shape {
    int64_t rows, in, out;
  };
  for (const auto& s : std::vector<Shape>{{1, 1, 1}, {3, 7, 13}, {42, 128, 384}, {1024, 128, 256}, {0, 4, 5}}) {
    INFO("linear rows " << s.rows << " in " << s.in << " out " << s.out);
    const auto x = random_values(s.rows * s.in, seed++), w = random_values(s.out * s.in, seed++, 0.2),
               dy = random_values(s.rows * s.out, seed++);
    std::vector<float> rdx(s.rows * s.in), rdw(s.out * s.in, 1.0f), rdb(s.out, 1.0f);
    std::vector<float> fdx(s.rows * s.in), fdw(s.out * s.in, 1.0f), fdb(s.out, 1.0f);
    linear_backward(context_of(BackendKind::Reference), x.data(), w.data(), dy.data(), rdx.data(), rdw.data(), rdb.data(), s.rows, s.in, s.out);
    linear_backward(context_of(BackendKind::Cpu), x.data(), w.data(), dy.data(), fdx.data(), fdw.data(), fdb.data(), s.rows, s.in, s.out);
    if (s.rows == 0) {
      CHECK(fdw == std::vector<float>(s.out * s.in, 0.0f));
      CHECK(fdb == std::vector<float>(s.out, 0.0f));
      CHECK(rdw == fdw);
      continue;
    }
    CHECK(record_error("linear_backward dx", max_relative_error(fdx, rdx)) < kBackwardTolerance);
    CHECK(record_error("linear_backward dw", max_relative_error(fdw, rdw)) < kBackwardTolerance);
    CHECK(record_error("linear_backward db", max_relative_error(fdb, rdb)) < kBackwardTolerance);
  }

  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (int64_t rows : {1, 5, 1024})
      for (int64_t cols : {1, 7, 9, 128}) {
        INFO(cpu_isa_name(isa) << " rows " << rows << " cols " << cols);
        const auto x = random_values(rows * cols, seed++, 4.0), dy = random_values(rows * cols, seed++),
                   bias = random_values(cols, seed++), gamma = random_range(cols, seed++, 0.5, 1.5),
                   beta = random_values(cols, seed++);
        std::vector<float> rdx(rows * cols), fdx(rows * cols), rdb(cols), fdb(cols);
        bias_gelu_backward(context_of(BackendKind::Reference), x.data(), bias.data(), dy.data(), rdx.data(), rdb.data(), rows, cols);
        bias_gelu_backward(context_of(BackendKind::Cpu), x.data(), bias.data(), dy.data(), fdx.data(), fdb.data(), rows, cols);
        CHECK(record_error(isa_label("bias_gelu_backward dx"), max_relative_error(fdx, rdx)) < kBackwardTolerance);
        CHECK(record_error(isa_label("bias_gelu_backward dbias"), max_relative_error(fdb, rdb)) < kBackwardTolerance);

        std::vector<float> y(rows * cols), mean(rows), rstd(rows), rdg(cols), fdg(cols), rdbeta(cols), fdbeta(cols);
        layer_norm_forward(context_of(BackendKind::Reference), x.data(), gamma.data(), beta.data(), y.data(), mean.data(), rstd.data(), rows, cols, 1e-5f);
        layer_norm_backward(context_of(BackendKind::Reference), x.data(), gamma.data(), dy.data(), mean.data(), rstd.data(), rdx.data(), rdg.data(), rdbeta.data(), rows, cols);
        layer_norm_backward(context_of(BackendKind::Cpu), x.data(), gamma.data(), dy.data(), mean.data(), rstd.data(), fdx.data(), fdg.data(), fdbeta.data(), rows, cols);
        // With one column LayerNorm is constant in x: dx vanishes, up to the
        // rounding of dy * gamma (which FMA contraction exposes) times rstd.
        if (cols == 1) {
          for (int64_t r = 0; r < rows; ++r) REQUIRE(std::abs(fdx[r]) <= 1e-6f * rstd[r]);
        } else {
          CHECK(record_error(isa_label("layer_norm_backward dx"), max_relative_error(fdx, rdx)) < kBackwardTolerance);
          CHECK(record_error(isa_label("layer_norm_backward dgamma"), max_relative_error(fdg, rdg)) < kBackwardTolerance);
        }
        CHECK(record_error(isa_label("layer_norm_backward dbeta"), max_relative_error(fdbeta, rdbeta)) < kBackwardTolerance);

        if (cols > 1) {
          softmax_forward(context_of(BackendKind::Reference), x.data(), y.data(), rows, cols);
          softmax_backward(context_of(BackendKind::Reference), y.data(), dy.data(), rdx.data(), rows, cols);
          softmax_backward(context_of(BackendKind::Cpu), y.data(), dy.data(), fdx.data(), rows, cols);
          CHECK(record_error(isa_label("softmax_backward dx"), max_relative_error(fdx, rdx)) < kBackwardTolerance);
        }
      }
  }
}

TEST_CASE("backward: cpu matches reference (attention)", "[grad]") {
  IsaSweep sweep;
  unsigned seed = 2000;
  struct Case {
    int64_t batch, tokens, heads, head_dim;
    bool fused;
  };
  const std::vector<Case> cases{{1, 1, 1, 1, false}, {2, 3, 2, 5, true},   {3, 8, 4, 8, false},
                                {2, 9, 3, 16, true}, {2, 42, 8, 16, true}, {1, 128, 16, 8, true},
                                {1, 128, 2, 32, false}, {64, 42, 8, 16, true}};
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const auto& c : cases) {
      INFO(cpu_isa_name(isa) << " batch " << c.batch << " tokens " << c.tokens << " heads " << c.heads << " head_dim " << c.head_dim);
      const int64_t d_model = c.heads * c.head_dim, rows = c.batch * c.tokens, ld = c.fused ? 3 * d_model : d_model;
      const AttentionDims dims{c.batch, c.tokens, c.heads, c.head_dim, ld, d_model};
      const auto q = random_values(rows * ld, seed++, 2.0), k = random_values(rows * ld, seed++, 2.0),
                 v = random_values(rows * ld, seed++), dout = random_values(rows * d_model, seed++);
      std::vector<float> out(rows * d_model), lse(c.batch * c.heads * c.tokens), workspace(attention_workspace_floats(dims));
      attention_forward(context_of(BackendKind::Reference), dims, q.data(), k.data(), v.data(), out.data(), lse.data(), workspace.data());
      // Only the head columns are written: compare those (the rest stay at their fill).
      std::vector<float> rdq(rows * ld, 0.0f), rdk(rows * ld, 0.0f), rdv(rows * ld, 0.0f);
      std::vector<float> fdq(rows * ld, 0.0f), fdk(rows * ld, 0.0f), fdv(rows * ld, 0.0f);
      attention_backward(context_of(BackendKind::Reference), dims, q.data(), k.data(), v.data(), out.data(), lse.data(), dout.data(), rdq.data(), rdk.data(), rdv.data(), workspace.data());
      attention_backward(context_of(BackendKind::Cpu), dims, q.data(), k.data(), v.data(), out.data(), lse.data(), dout.data(), fdq.data(), fdk.data(), fdv.data(), workspace.data());
      if (c.tokens == 1) {
        // One key: P = 1 whatever the scores, so dQ and dK vanish (up to rounding in both).
        for (float g : fdq) REQUIRE(std::abs(g) < 1e-6f);
        for (float g : fdk) REQUIRE(std::abs(g) < 1e-6f);
      } else {
        CHECK(record_error(isa_label("attention_backward dq"), max_relative_error(fdq, rdq)) < kBackwardTolerance);
        CHECK(record_error(isa_label("attention_backward dk"), max_relative_error(fdk, rdk)) < kBackwardTolerance);
      }
      CHECK(record_error(isa_label("attention_backward dv"), max_relative_error(fdv, rdv)) < kBackwardTolerance);
    }
  }
}

TEST_CASE("backward: cpu matches reference (quantile head, normalisation)", "[grad]") {
  IsaSweep sweep;
  unsigned seed = 3000;
  for (CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (int64_t rows : {1, 7, 1024}) {
      for (int64_t nq : {1, 3, 9})
        for (int64_t median : {int64_t{0}, nq / 2, nq - 1}) {
          INFO(cpu_isa_name(isa) << " rows " << rows << " quantiles " << nq << " median " << median);
          const auto raw = random_values(rows * nq, seed++, 20.0), dq = random_values(rows * nq, seed++);
          std::vector<float> rd(rows * nq), fd(rows * nq);
          quantile_head_backward(context_of(BackendKind::Reference), raw.data(), dq.data(), rd.data(), rows, nq, median);
          quantile_head_backward(context_of(BackendKind::Cpu), raw.data(), dq.data(), fd.data(), rows, nq, median);
          CHECK(record_error(isa_label("quantile_head_backward"), max_relative_error(fd, rd)) < kBackwardTolerance);
        }
      for (int64_t len : {1, 7, 336})
        for (int64_t channels : {1, 3}) {
          INFO(cpu_isa_name(isa) << " rows " << rows << " length " << len << " channels " << channels);
          const auto x = random_range(rows * len, seed++, 0.0, 50.0), dy = random_values(rows * len, seed++),
                     z = random_values(rows * len, seed++, 3.0), gamma = random_range(channels, seed++, 0.5, 2.0),
                     beta = random_values(channels, seed++);
          std::vector<float> y(rows * len), mean(rows), sd(rows);
          revin_normalize_forward(context_of(BackendKind::Reference), x.data(), gamma.data(), beta.data(), y.data(), mean.data(), sd.data(), rows, len, channels, 1e-5f);
          // These gradients are sums over a whole series (up to 336 terms) and
          // channel: the truth comes from the float64 reference on the same inputs,
          // since a float reference carries a summation error of its own.
          const auto xd = to_double(x), dyd = to_double(dy), zd = to_double(z), gd = to_double(gamma),
                     bd = to_double(beta), md = to_double(mean), sdd = to_double(sd);
          std::vector<double> tdg(channels), tdb(channels), tdz(rows * len);
          std::vector<float> fdg(channels), fdb(channels), fdz(rows * len);
          ref::revin_normalize_backward(xd.data(), md.data(), sdd.data(), dyd.data(), tdg.data(), tdb.data(), rows, len, channels);
          revin_normalize_backward(context_of(BackendKind::Cpu), x.data(), mean.data(), sd.data(), dy.data(), fdg.data(), fdb.data(), rows, len, channels);
          if (len > 1)  // one value per row: x - mean is exactly 0 and dgamma too
            CHECK(record_error(isa_label("revin_normalize_backward dgamma"), max_relative_error(fdg, to_float(tdg))) < kBackwardTolerance);
          CHECK(record_error(isa_label("revin_normalize_backward dbeta"), max_relative_error(fdb, to_float(tdb))) < kBackwardTolerance);

          ref::revin_denormalize_backward(zd.data(), gd.data(), bd.data(), sdd.data(), dyd.data(), tdz.data(), tdg.data(), tdb.data(), rows, len, channels);
          revin_denormalize_backward(context_of(BackendKind::Cpu), z.data(), gamma.data(), beta.data(), sd.data(), dy.data(), fdz.data(), fdg.data(), fdb.data(), rows, len, channels);
          CHECK(record_error(isa_label("revin_denormalize_backward dz"), max_relative_error(fdz, to_float(tdz))) < kBackwardTolerance);
          CHECK(record_error(isa_label("revin_denormalize_backward dgamma"), max_relative_error(fdg, to_float(tdg))) < kBackwardTolerance);
          CHECK(record_error(isa_label("revin_denormalize_backward dbeta"), max_relative_error(fdb, to_float(tdb))) < kBackwardTolerance);
        }
    }
  }
}
