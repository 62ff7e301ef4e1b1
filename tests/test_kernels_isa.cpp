// The INVF_CPU_ISA override: names, errors, and scalar vs AVX2 kernels
// giving the same results within tolerance.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "cpu_isa.hpp"
#include "ops.hpp"
#include "test_kernels_util.hpp"

using namespace invforecast;
using namespace invforecast::kernels;
using namespace invforecast::kernels::testing;

namespace {

// Sets INVF_CPU_ISA for one scope, restoring the previous value and the active ISA.
class ScopedIsaEnvironment {
 public:
  explicit ScopedIsaEnvironment(const char* value) : saved_isa_(active_cpu_isa()) {
    if (const char* old = std::getenv("INVF_CPU_ISA")) saved_value_ = old;
    if (value)
      setenv("INVF_CPU_ISA", value, 1);
    else
      unsetenv("INVF_CPU_ISA");
  }
  ~ScopedIsaEnvironment() {
    if (saved_value_)
      setenv("INVF_CPU_ISA", saved_value_->c_str(), 1);
    else
      unsetenv("INVF_CPU_ISA");
    set_active_cpu_isa(saved_isa_);
  }

 private:
  CpuIsa saved_isa_;
  std::optional<std::string> saved_value_;
};

// One output per op, all from the Cpu backend under the active ISA.
std::vector<std::vector<float>> run_cpu_ops() {
  const int64_t rows = 37, cols = 130;
  const auto x = random_values(rows * cols, 1, 4.0), dy = random_values(rows * cols, 2),
             gamma = random_range(cols, 3, 0.5, 1.5), beta = random_values(cols, 4);
  std::vector<std::vector<float>> outputs;
  auto output = [&](int64_t size) -> float* { return outputs.emplace_back(size).data(); };

  bias_gelu_forward(Backend::Cpu, x.data(), beta.data(), output(rows * cols), rows, cols);
  bias_gelu_backward(Backend::Cpu, x.data(), beta.data(), dy.data(), output(rows * cols), output(cols), rows, cols);
  std::vector<float> mean(rows), rstd(rows);
  layer_norm_forward(Backend::Cpu, x.data(), gamma.data(), beta.data(), output(rows * cols), mean.data(), rstd.data(), rows, cols, 1e-5f);
  layer_norm_backward(Backend::Cpu, x.data(), gamma.data(), dy.data(), mean.data(), rstd.data(), output(rows * cols), output(cols), output(cols), rows, cols);
  softmax_forward(Backend::Cpu, x.data(), output(rows * cols), rows, cols);

  const AttentionDims dims{2, 42, 8, 16, 3 * 128, 128};
  const auto qkv = random_values(2 * 42 * 3 * 128, 5, 2.0), dout = random_values(2 * 42 * 128, 6);
  std::vector<float> workspace(attention_workspace_floats(dims)), dqkv(qkv.size());
  float* out = output(2 * 42 * 128);
  float* lse = output(2 * 8 * 42);
  attention_forward(Backend::Cpu, dims, qkv.data(), qkv.data() + 128, qkv.data() + 256, out, lse, workspace.data());
  attention_backward(Backend::Cpu, dims, qkv.data(), qkv.data() + 128, qkv.data() + 256, out, lse, dout.data(),
                     dqkv.data(), dqkv.data() + 128, dqkv.data() + 256, workspace.data());
  outputs.push_back(dqkv);

  const auto raw = random_values(64 * 9, 7, 10.0);
  quantile_head_forward(Backend::Cpu, raw.data(), output(64 * 9), 64, 9, 4);
  quantile_head_backward(Backend::Cpu, raw.data(), dy.data(), output(64 * 9), 64, 9, 4);

  const int64_t series_rows = 37, length = 336;
  const auto series = random_range(series_rows * length, 8, 0.0, 20.0);
  std::vector<float> revin_gamma{1.3f}, revin_beta{-0.2f}, smean(series_rows), ssd(series_rows);
  revin_normalize_forward(Backend::Cpu, series.data(), revin_gamma.data(), revin_beta.data(), output(series_rows * length),
                          smean.data(), ssd.data(), series_rows, length, 1, 1e-5f);
  mean_abs_scale_forward(Backend::Cpu, series.data(), output(series_rows * length), output(series_rows), series_rows, length, 1e-3f);
  return outputs;
}

}  // namespace

TEST_CASE("INVF_CPU_ISA names and errors", "[kernels][isa]") {
  CHECK(parse_cpu_isa("scalar") == CpuIsa::Scalar);
  CHECK(cpu_supports(CpuIsa::Scalar));
  try {
    parse_cpu_isa("sse9");
    FAIL("sse9 was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK(std::string(e.what()).find("unknown instruction set 'sse9'") != std::string::npos);
  }
  {
    const ScopedIsaEnvironment environment("scalar");
    CHECK(cpu_isa_from_environment() == CpuIsa::Scalar);
  }
  {
    const ScopedIsaEnvironment environment(nullptr);
    CHECK(cpu_isa_from_environment() == (cpu_supports(CpuIsa::Avx2) ? CpuIsa::Avx2 : CpuIsa::Scalar));
  }
  if (!cpu_supports(CpuIsa::Avx2)) {
    const ScopedIsaEnvironment environment("avx2");
    CHECK_THROWS_AS(cpu_isa_from_environment(), Error);
  }
}

TEST_CASE("INVF_CPU_ISA=scalar and =avx2 give the same results", "[kernels][isa]") {
  if (!cpu_supports(CpuIsa::Avx2)) {
    WARN("this CPU has no AVX2: only the scalar kernels can run");
    return;
  }
  std::vector<std::vector<float>> scalar_outputs, avx2_outputs;
  {
    const ScopedIsaEnvironment environment("scalar");
    set_active_cpu_isa(cpu_isa_from_environment());
    REQUIRE(active_cpu_isa() == CpuIsa::Scalar);
    scalar_outputs = run_cpu_ops();
  }
  {
    const ScopedIsaEnvironment environment("avx2");
    set_active_cpu_isa(cpu_isa_from_environment());
    REQUIRE(active_cpu_isa() == CpuIsa::Avx2);
    avx2_outputs = run_cpu_ops();
  }
  REQUIRE(scalar_outputs.size() == avx2_outputs.size());
  for (size_t i = 0; i < scalar_outputs.size(); ++i) {
    INFO("output " << i);
    CHECK(record_error("scalar vs avx2", max_relative_error(avx2_outputs[i], scalar_outputs[i])) < 1e-5);
  }
}
