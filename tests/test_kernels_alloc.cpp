// Allocation discipline: the Cpu backend's inference ops (our own kernels and
// the packed GEMM the forecast loop runs on) allocate nothing, not even on
// their first call; oneDNN GEMMs, which only training uses now, allocate
// their fixed per-call execution context.  The encoder's whole forecast is
// checked in test_encoder.cpp.  Also home of the program's replacement
// operator new that counts allocations.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <vector>

#include "ops.hpp"
#include "test_kernels_util.hpp"

namespace {
thread_local bool t_counting = false;
thread_local long t_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (t_counting) ++t_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace invforecast::kernels::testing {

long count_allocations(const std::function<void()>& work) {
  t_allocations = 0;
  t_counting = true;
  work();
  t_counting = false;
  return t_allocations;
}

}  // namespace invforecast::kernels::testing

using namespace invforecast::kernels;
using namespace invforecast::kernels::testing;

TEST_CASE("the allocation counter sees allocations", "[kernels][alloc]") {
  CHECK(count_allocations([] { std::vector<float> v(100); }) == 1);
  CHECK(count_allocations([] {}) == 0);
}

TEST_CASE("cpu ops allocate nothing once a shape has run, on any ISA", "[kernels][alloc]") {
  // The benchmark's layer shapes at a small batch: 4 series of 42 tokens.
  const int64_t batch = 4, tokens = 42, d_model = 128, heads = 8, ffn = 256, rows = batch * tokens;
  const auto x = random_values(rows * d_model, 1), gamma = random_range(d_model, 5, 0.5, 1.5),
             bias = random_values(ffn, 4), dy = random_values(rows * ffn, 6), qkv = random_values(rows * 3 * d_model, 7);
  std::vector<float> hidden(rows * ffn), normed(rows * d_model), mean(rows), rstd(rows), attn(rows * d_model),
      lse(batch * heads * tokens), dqkv(rows * 3 * d_model), dx(rows * d_model), db(ffn), dgamma(d_model),
      dbeta(d_model), quantiles(rows * 9), scale(rows);
  const AttentionDims dims{batch, tokens, heads, d_model / heads, 3 * d_model, d_model};
  std::vector<float> workspace(attention_workspace_floats(dims));

  const auto own_kernels = [&] {
    layer_norm_forward(context_of(BackendKind::Cpu), x.data(), gamma.data(), bias.data(), normed.data(), mean.data(), rstd.data(), rows, d_model, 1e-5f);
    attention_forward(context_of(BackendKind::Cpu), dims, qkv.data(), qkv.data() + d_model, qkv.data() + 2 * d_model, attn.data(), lse.data(), workspace.data());
    bias_gelu_forward(context_of(BackendKind::Cpu), dy.data(), bias.data(), hidden.data(), rows, ffn);
    softmax_forward(context_of(BackendKind::Cpu), hidden.data(), hidden.data(), rows, ffn);
    quantile_head_forward(context_of(BackendKind::Cpu), hidden.data(), quantiles.data(), rows, 9, 4);
    mean_abs_scale_forward(context_of(BackendKind::Cpu), x.data(), normed.data(), scale.data(), rows, d_model, 1e-3f);
    revin_normalize_forward(context_of(BackendKind::Cpu), x.data(), gamma.data(), bias.data(), normed.data(), mean.data(), rstd.data(), rows, d_model, 1, 1e-5f);
    bias_gelu_backward(context_of(BackendKind::Cpu), dy.data(), bias.data(), dy.data(), hidden.data(), db.data(), rows, ffn);
    attention_backward(context_of(BackendKind::Cpu), dims, qkv.data(), qkv.data() + d_model, qkv.data() + 2 * d_model, attn.data(), lse.data(), attn.data(),
                       dqkv.data(), dqkv.data() + d_model, dqkv.data() + 2 * d_model, workspace.data());
    layer_norm_backward(context_of(BackendKind::Cpu), x.data(), gamma.data(), attn.data(), mean.data(), rstd.data(), dx.data(), dgamma.data(), dbeta.data(), rows, d_model);
  };
  IsaSweep sweep;
  for (const CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    INFO(cpu_isa_name(isa));
    CHECK(count_allocations(own_kernels) == 0);
  }
}

TEST_CASE("packed linear ops allocate nothing on any ISA", "[kernels][alloc]") {
  // The encoder's shapes, from batch-1 latency to a full tile, and the head's long k.
  struct Shape {
    int64_t in, out;
  };
  IsaSweep sweep;
  for (const CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const Shape shape : {Shape{16, 128}, Shape{128, 384}, Shape{256, 128}, Shape{42 * 128, 252}}) {
      const auto w = random_values(shape.out * shape.in, 1, 0.1), b = random_values(shape.out, 2);
      const PreparedLinear layer = backend_of(BackendKind::Cpu).prepare_linear(w.data(), b.data(), shape.in, shape.out);
      for (int64_t rows : {1, 7, 42, 1344}) {
        if (shape.in > 1024 && rows > 42) continue;  // the head has one row per series
        const auto x = random_values(rows * shape.in, 3);
        std::vector<float> y(rows * shape.out, 0.0f);
        INFO(cpu_isa_name(isa) << " in " << shape.in << " out " << shape.out << " rows " << rows);
        CHECK(count_allocations([&] {
                linear_forward(context_of(BackendKind::Cpu), layer, x.data(), y.data(), rows);
                linear_gelu_forward(context_of(BackendKind::Cpu), layer, x.data(), y.data(), rows);
                linear_residual_forward(context_of(BackendKind::Cpu), layer, x.data(), y.data(), rows);
              }) == 0);
      }
    }
  }
}

TEST_CASE("oneDNN GEMMs (training) allocate only oneDNN's small per-call execution context", "[kernels][alloc]") {
  // oneDNN 2.6 builds an execution context (a few small heap blocks) inside
  // every primitive execute; no public API avoids it.  What we own must add
  // nothing: after the first call of a shape, the count is a small constant,
  // the same for every call, every shape and every batch size.
  const int64_t in = 128, out = 256;
  const auto w = random_values(out * in, 1, 0.1), b = random_values(out, 2);
  std::vector<long> linear_counts, fused_counts;
  for (int64_t rows : {7, 168, 1024}) {
    const auto x = random_values(rows * in, 3);
    std::vector<float> y(rows * out);
    const auto linear = [&] { linear_forward(context_of(BackendKind::Cpu), x.data(), w.data(), b.data(), y.data(), rows, in, out); };
    const auto fused = [&] { linear_gelu_forward(context_of(BackendKind::Cpu), x.data(), w.data(), b.data(), y.data(), rows, in, out); };
    linear();
    fused();
    for (int repeat = 0; repeat < 3; ++repeat) {
      linear_counts.push_back(count_allocations(linear));
      fused_counts.push_back(count_allocations(fused));
    }
  }
  INFO("allocations per call: linear " << Catch::Detail::stringify(linear_counts) << ", linear_gelu "
                                       << Catch::Detail::stringify(fused_counts));
  CHECK(linear_counts.front() <= 8);
  CHECK(fused_counts.front() <= 8);
  CHECK(linear_counts == std::vector<long>(linear_counts.size(), linear_counts.front()));
  CHECK(fused_counts == std::vector<long>(fused_counts.size(), fused_counts.front()));
}
