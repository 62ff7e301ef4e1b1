// Encoder forward speed through the public C API only, as a vendor would call
// it, plus oneDNN sgemm at the model's GEMM shapes as the machine's ceiling.
// benchmarks/encoder_vs_pytorch.sh runs it beside PyTorch and ONNX Runtime on
// the same model file and inputs.
//
//   encoder_bench speed MODEL.invfm INPUT.f32 OUT_B256.f32
//       batch-1 latency (median of 300 calls, 1 thread), then throughput at
//       batch 256 and 4096 on 1 and 2 threads (median of 3 calls after a
//       warm-up), the sgemm ceiling on 1 and 2 threads; writes the batch-256
//       forecast (1 thread) to OUT_B256.f32 for the parity check.
//   encoder_bench memory MODEL.invfm INPUT.f32
//       peak resident memory added by one 4096-series forecast (getrusage
//       maxrss after minus before; the input and output arrays are allocated
//       and touched before the first reading).
//
// INPUT.f32 holds at least 4096 x context_length little-endian floats.  Each
// measurement is one line "MEASURE engine=... key=value ...".  Run with
// OMP_NUM_THREADS=1 so that each sgemm of the ceiling runs on the thread
// that calls it (invforecast caps oneDNN's OpenMP team itself to its
// "threads" option).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "invforecast.h"

#ifdef INVF_BENCH_SGEMM
#include <oneapi/dnnl/dnnl.h>
#endif

namespace {

using namespace invf_bench;

struct Config {
  int64_t context, patch, tokens, d_model, ffn, layers, horizon, quantiles;
};

int64_t config_int(const invf_model* model, const char* key) {
  int64_t value = 0;
  check(invf_model_config_int(model, key, &value), key);
  return value;
}

Config read_config(const invf_model* model) {
  return {config_int(model, "context_length"), config_int(model, "patch_length"),
          config_int(model, "tokens"),         config_int(model, "d_model"),
          config_int(model, "ffn_dim"),        config_int(model, "layers"),
          config_int(model, "horizon"),        config_int(model, "quantile_count")};
}

// A GEMM of the forward pass: rows = row_factor x series, C[rows, n] = A[rows, k] B[k, n].
struct GemmShape {
  const char* name;
  int64_t row_factor, n, k, count;
};

std::vector<GemmShape> gemm_shapes(const Config& c) {
  const int64_t D = c.d_model;
  return {{"patch_embed", c.tokens, D, c.patch, 1},
          {"qkv", c.tokens, 3 * D, D, c.layers},
          {"attn_out", c.tokens, D, D, c.layers},
          {"ffn1", c.tokens, c.ffn, D, c.layers},
          {"ffn2", c.tokens, D, c.ffn, c.layers},
          {"head", 1, c.horizon * c.quantiles, c.tokens * D, 1}};
}

// Floating-point operations (a multiply-add is 2) of one series' forward
// pass: the GEMMs plus attention's two batched products; element-wise work
// (norms, softmax, GELU) is not counted.
double gemm_flops_per_series(const Config& c) {
  double flops = 0.0;
  for (const GemmShape& g : gemm_shapes(c))
    flops += 2.0 * static_cast<double>(g.row_factor * g.n * g.k * g.count);
  return flops;
}

double flops_per_series(const Config& c) {
  const double attention = 2.0 * 2.0 * static_cast<double>(c.tokens * c.tokens * c.d_model);
  return gemm_flops_per_series(c) + attention * static_cast<double>(c.layers);
}

std::vector<float> read_f32(const std::string& path, size_t floats) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> values(floats);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(floats * 4));
  if (!in) die("cannot read " + std::to_string(floats) + " floats from " + path);
  return values;
}

invf_model* load(const char* path, int threads) {
  invf_options* options = threads_options(threads);
  invf_model* model = nullptr;
  check(invf_model_load(path, options, &model), "load");
  invf_options_release(options);
  return model;
}

void forecast(const invf_model* model, const Config& c, const std::vector<float>& input,
              size_t batch, std::vector<float>& out) {
  out.resize(batch * static_cast<size_t>(c.horizon * c.quantiles));
  check(invf_model_forecast(model, input.data(), batch, static_cast<size_t>(c.context), out.data(),
                            out.size()),
        "forecast");
}

#ifdef INVF_BENCH_SGEMM
// GFLOP/s of dnnl_sgemm over the model's GEMM shapes for `series` series,
// the rows split evenly over `threads` threads (each with its own matrices);
// best of 2 passes.
double sgemm_ceiling(const Config& c, int64_t series, int threads) {
  const std::vector<GemmShape> shapes = gemm_shapes(c);
  double best = 1e300;
  for (int pass = 0; pass < 2; ++pass) {
    double total = 0.0;
    for (const GemmShape& g : shapes) {
      const int64_t rows = g.row_factor * series / threads;
      std::vector<std::vector<float>> a(threads), b(threads), out(threads);
      for (int t = 0; t < threads; ++t) {
        a[t].assign(static_cast<size_t>(rows * g.k), 0.5f);
        b[t].assign(static_cast<size_t>(g.k * g.n), 0.25f);
        out[t].assign(static_cast<size_t>(rows * g.n), 0.0f);
      }
      const auto start = Clock::now();
      auto run = [&](int t) {
        for (int64_t i = 0; i < g.count; ++i)
          if (dnnl_sgemm('N', 'N', rows, g.n, g.k, 1.0f, a[t].data(), g.k, b[t].data(), g.n, 0.0f,
                         out[t].data(), g.n) != dnnl_success)
            die("dnnl_sgemm failed");
      };
      std::vector<std::thread> pool;
      for (int t = 1; t < threads; ++t) pool.emplace_back(run, t);
      run(0);
      for (std::thread& thread : pool) thread.join();
      total += seconds_since(start);
    }
    best = std::min(best, total);
  }
  return gemm_flops_per_series(c) * static_cast<double>(series / threads * threads) / best / 1e9;
}
#endif

int run_speed(const char* model_path, const char* input_path, const char* out_path) {
  constexpr size_t kMaxBatch = 4096;
  invf_model* probe = load(model_path, 1);
  const Config c = read_config(probe);
  invf_model_release(probe);
  const std::vector<float> input = read_f32(input_path, kMaxBatch * static_cast<size_t>(c.context));
  const double flops = flops_per_series(c);
  std::printf("MEASURE engine=invforecast kind=config mflop_per_series=%.3f gemm_mflop_per_series=%.3f\n",
              flops / 1e6, gemm_flops_per_series(c) / 1e6);
  std::vector<float> out;

  {
    invf_model* model = load(model_path, 1);
    for (int i = 0; i < 30; ++i) forecast(model, c, input, 1, out);
    std::vector<double> times;
    for (int i = 0; i < 300; ++i) {
      const auto start = Clock::now();
      forecast(model, c, input, 1, out);
      times.push_back(seconds_since(start));
    }
    std::printf("MEASURE engine=invforecast kind=latency threads=1 batch=1 median_ms=%.4f\n",
                median(times) * 1e3);
    invf_model_release(model);
  }

  for (const int threads : {1, 2}) {
    invf_model* model = load(model_path, threads);
    for (const size_t batch : {size_t{256}, kMaxBatch}) {
      forecast(model, c, input, batch, out);  // warm-up: buffers, GEMM plans
      if (batch == 256 && threads == 1) {
        std::ofstream file(out_path, std::ios::binary);
        file.write(reinterpret_cast<const char*>(out.data()),
                   static_cast<std::streamsize>(out.size() * sizeof(float)));
        if (!file) die(std::string("cannot write ") + out_path);
      }
      std::vector<double> times;
      for (int rep = 0; rep < 3; ++rep) {
        const auto start = Clock::now();
        forecast(model, c, input, batch, out);
        times.push_back(seconds_since(start));
      }
      const double seconds = median(times);
      std::printf(
          "MEASURE engine=invforecast kind=throughput threads=%d batch=%zu seconds=%.5f "
          "series_per_s=%.1f gflops=%.2f\n",
          threads, batch, seconds, static_cast<double>(batch) / seconds,
          flops * static_cast<double>(batch) / seconds / 1e9);
      std::fflush(stdout);
    }
    invf_model_release(model);
  }

#ifdef INVF_BENCH_SGEMM
  // M = 1024 series x tokens rows (43008 for the default model): far past the
  // sizes where sgemm's rate still grows with M.
  for (const int threads : {1, 2})
    std::printf("MEASURE engine=sgemm kind=ceiling threads=%d rows_series=1024 gflops=%.2f\n",
                threads, sgemm_ceiling(c, 1024, threads));
#else
  std::printf("MEASURE engine=sgemm kind=unavailable\n");
#endif
  return 0;
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int run_memory(const char* model_path, const char* input_path) {
  constexpr size_t kBatch = 4096;
  invf_model* model = load(model_path, 1);
  const Config c = read_config(model);
  const std::vector<float> input = read_f32(input_path, kBatch * static_cast<size_t>(c.context));
  std::vector<float> out(kBatch * static_cast<size_t>(c.horizon * c.quantiles), 0.0f);
  const long before = max_rss_kib();
  forecast(model, c, input, kBatch, out);
  const long after = max_rss_kib();
  std::printf(
      "MEASURE engine=invforecast kind=memory batch=%zu maxrss_before_mib=%.1f "
      "maxrss_after_mib=%.1f delta_mib=%.1f\n",
      kBatch, before / 1024.0, after / 1024.0, (after - before) / 1024.0);
  invf_model_release(model);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "speed") == 0) return run_speed(argv[2], argv[3], argv[4]);
  if (argc == 4 && std::strcmp(argv[1], "memory") == 0) return run_memory(argv[2], argv[3]);
  std::fprintf(stderr,
               "usage: encoder_bench speed MODEL.invfm INPUT.f32 OUT_B256.f32\n"
               "       encoder_bench memory MODEL.invfm INPUT.f32\n");
  return 2;
}
