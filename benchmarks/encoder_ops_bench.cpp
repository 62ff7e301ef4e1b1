// Where the encoder forward's time goes: each op of the Cpu backend timed on
// its own at the benchmark's default shape (42 tokens, d_model 128, 8 heads,
// ffn 256, 3 layers, head to 28 x 9 outputs), random weights, in the order
// the forward runs them, for a tile of series (the layers) and a group of
// series (the head), as lib/model/encoder.cpp does.  Internal API (links the
// core objects, not the C ABI): a tool for kernel work, not a comparison.
//
//   encoder_ops_bench [TILE_SERIES=8] [HEAD_SERIES=128] [ROUNDS=7]
//
// Each op's time is the fastest of ROUNDS rounds (each round runs the layer
// stack for at least ~0.1 s, the head once per HEAD_SERIES / TILE_SERIES
// stacks), per series.  GFLOP/s is given against the
// fastest GEMM of the same run (the "gemm share" column), so the line shows
// how far an op is from the machine's practical rate whatever the load.
// INVF_CPU_ISA picks the kernels' ISA as for the library.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cpu_isa.hpp"
#include "ops.hpp"

namespace k = invforecast::kernels;

namespace {

using Clock = std::chrono::steady_clock;

std::vector<float> random_values(size_t count, float scale, std::mt19937& engine) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(count);
  for (float& x : v) x = normal(engine);
  return v;
}

struct Op {
  const char* name;
  double flops_per_series;  // 0 for the non-GEMM ops
  double seconds = 0.0;     // one round's total
  double best = 1e300;      // fastest round
};

}  // namespace

int main(int argc, char** argv) {
  const int64_t tile = argc > 1 ? std::atol(argv[1]) : 8;
  const int64_t group = argc > 2 ? std::atol(argv[2]) : 128;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;
  if (tile < 1 || group < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: encoder_ops_bench [TILE_SERIES>=1] [HEAD_SERIES>=1] [ROUNDS>=1]\n");
    return 2;
  }
  constexpr int64_t N = 42, D = 128, F = 256, H = 8, P = 16, L = 3, O = 28 * 9;
  std::mt19937 engine(1);
  auto w = [&](int64_t in, int64_t out) { return random_values(in * out, 1.0f / std::sqrt(float(in)), engine); };
  const auto wq = w(D, 3 * D), wo = w(D, D), w1 = w(D, F), w2 = w(F, D), we = w(P, D), wh = w(N * D, O);
  const auto bq = random_values(3 * D, 0.1f, engine), bo = random_values(D, 0.1f, engine),
             b1 = random_values(F, 0.1f, engine), b2 = random_values(D, 0.1f, engine),
             be = random_values(D, 0.1f, engine), bh = random_values(O, 0.1f, engine);
  const auto gamma = random_values(D, 1.0f, engine), beta = random_values(D, 0.1f, engine);
  const k::Backend& backend = k::backend_of(k::BackendKind::Cpu);
  const k::PreparedLinear qkv = backend.prepare_linear(wq.data(), bq.data(), D, 3 * D),
                          out = backend.prepare_linear(wo.data(), bo.data(), D, D),
                          ffn1 = backend.prepare_linear(w1.data(), b1.data(), D, F),
                          ffn2 = backend.prepare_linear(w2.data(), b2.data(), F, D),
                          embed = backend.prepare_linear(we.data(), be.data(), P, D),
                          head = backend.prepare_linear(wh.data(), bh.data(), N * D, O);

  const int64_t rows = tile * N;
  std::vector<float> stream = random_values(rows * D, 1.0f, engine), scratch(rows * D),
                     qkv_out(rows * 3 * D), attended(rows * D), hidden(rows * F),
                     patches = random_values(rows * P, 1.0f, engine),
                     final_tokens = random_values(group * N * D, 1.0f, engine), raw(group * O);
  const k::AttentionDims dims{tile, N, H, D / H, 3 * D, D};
  std::vector<float> attention_ws(static_cast<size_t>(k::attention_workspace_floats(dims)));
  const k::Context cpu(backend);

  std::vector<Op> ops = {{"patch embed", 2.0 * N * P * D},       {"layernorms", 0},
                         {"qkv gemm", 2.0 * N * D * 3 * D},      {"attention", 4.0 * H * N * N * (D / H)},
                         {"out proj+res", 2.0 * N * D * D},      {"ffn1+gelu", 2.0 * N * D * F},
                         {"ffn2+res", 2.0 * N * F * D},          {"head (group)", 2.0 * N * D * O}};
  for (Op& op : ops)
    if (op.name != std::string("patch embed") && op.name != std::string("head (group)")) op.flops_per_series *= L;
  auto timed = [](Op& op, auto&& body) {
    const auto start = Clock::now();
    body();
    op.seconds += std::chrono::duration<double>(Clock::now() - start).count();
  };
  auto run_stack = [&] {
    timed(ops[0], [&] { k::linear_forward(cpu, embed, patches.data(), stream.data(), rows); });
    for (int64_t layer = 0; layer < L; ++layer) {
      timed(ops[1], [&] { k::layer_norm_forward(cpu, stream.data(), gamma.data(), beta.data(), scratch.data(), nullptr, nullptr, rows, D, 1e-5f); });
      timed(ops[2], [&] { k::linear_forward(cpu, qkv, scratch.data(), qkv_out.data(), rows); });
      timed(ops[3], [&] { k::attention_forward(cpu, dims, qkv_out.data(), qkv_out.data() + D, qkv_out.data() + 2 * D, attended.data(), nullptr, attention_ws.data()); });
      timed(ops[4], [&] { k::linear_residual_forward(cpu, out, attended.data(), stream.data(), rows); });
      timed(ops[1], [&] { k::layer_norm_forward(cpu, stream.data(), gamma.data(), beta.data(), scratch.data(), nullptr, nullptr, rows, D, 1e-5f); });
      timed(ops[5], [&] { k::linear_gelu_forward(cpu, ffn1, scratch.data(), hidden.data(), rows); });
      timed(ops[6], [&] { k::linear_residual_forward(cpu, ffn2, hidden.data(), stream.data(), rows); });
      // Keeps the residual stream from growing over the repetitions.
      for (float& x : stream) x *= 0.5f;
    }
  };
  // The head runs once per group of tiles, between them as in the forward
  // (run back to back, its 5.4 MB weight would stay in cache unrealistically).
  auto run_head = [&] { timed(ops[7], [&] { k::linear_forward(cpu, head, final_tokens.data(), raw.data(), group); }); };

  run_stack();  // warm-up
  run_head();
  const auto probe = Clock::now();
  run_stack();
  const double stack_seconds = std::chrono::duration<double>(Clock::now() - probe).count();
  const int64_t tiles_per_group = std::max<int64_t>(1, group / tile);
  const int64_t wanted = std::max<int64_t>(1, static_cast<int64_t>(0.1 / std::max(stack_seconds, 1e-6)));
  const int64_t head_reps = (wanted + tiles_per_group - 1) / tiles_per_group;
  const int64_t reps = head_reps * tiles_per_group;
  for (int round = 0; round < rounds; ++round) {
    for (Op& op : ops) op.seconds = 0.0;
    for (int64_t r = 0; r < reps; ++r) {
      run_stack();
      if ((r + 1) % tiles_per_group == 0) run_head();
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      const double series = i == 7 ? double(head_reps) * group : double(reps) * tile;
      ops[i].best = std::min(ops[i].best, ops[i].seconds / series);
    }
  }
  double total = 0.0, peak = 0.0;
  for (const Op& op : ops) {
    total += op.best;
    if (op.flops_per_series > 0 && op.name != std::string("attention"))
      peak = std::max(peak, op.flops_per_series / op.best);
  }
  std::printf("encoder ops, %s kernels, tiles of %lld series, head over %lld, fastest of %d rounds\n",
              k::cpu_isa_name(k::active_cpu_isa()), static_cast<long long>(tile),
              static_cast<long long>(group), rounds);
  std::printf("%-14s %12s %7s %9s %11s\n", "op", "us/series", "share", "GFLOP/s", "gemm share");
  for (const Op& op : ops) {
    const double rate = op.flops_per_series / op.best;
    if (op.flops_per_series > 0)
      std::printf("%-14s %12.2f %6.1f%% %9.1f %11.2f\n", op.name, op.best * 1e6, 100 * op.best / total, rate / 1e9, rate / peak);
    else
      std::printf("%-14s %12.2f %6.1f%% %9s %11s\n", op.name, op.best * 1e6, 100 * op.best / total, "-", "-");
  }
  std::printf("sum %.2f us/series = %.0f series/s; fastest GEMM %.1f GFLOP/s\n", total * 1e6, 1.0 / total, peak / 1e9);
  return 0;
}
