// The INVF_CPU_ISA override: names, errors, the default order, and the
// vec128, AVX2 and AVX-512 kernels giving the scalar kernels' results within tolerance.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
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

  bias_gelu_forward(context_of(BackendKind::Cpu), x.data(), beta.data(), output(rows * cols), rows, cols);
  bias_gelu_backward(context_of(BackendKind::Cpu), x.data(), beta.data(), dy.data(), output(rows * cols), output(cols), rows, cols);
  std::vector<float> mean(rows), rstd(rows);
  layer_norm_forward(context_of(BackendKind::Cpu), x.data(), gamma.data(), beta.data(), output(rows * cols), mean.data(), rstd.data(), rows, cols, 1e-5f);
  layer_norm_backward(context_of(BackendKind::Cpu), x.data(), gamma.data(), dy.data(), mean.data(), rstd.data(), output(rows * cols), output(cols), output(cols), rows, cols);
  softmax_forward(context_of(BackendKind::Cpu), x.data(), output(rows * cols), rows, cols);

  const AttentionDims dims{2, 42, 8, 16, 3 * 128, 128};
  const auto qkv = random_values(2 * 42 * 3 * 128, 5, 2.0), dout = random_values(2 * 42 * 128, 6);
  std::vector<float> workspace(attention_workspace_floats(dims)), dqkv(qkv.size());
  float* out = output(2 * 42 * 128);
  float* lse = output(2 * 8 * 42);
  attention_forward(context_of(BackendKind::Cpu), dims, qkv.data(), qkv.data() + 128, qkv.data() + 256, out, lse, workspace.data());
  attention_backward(context_of(BackendKind::Cpu), dims, qkv.data(), qkv.data() + 128, qkv.data() + 256, out, lse, dout.data(),
                     dqkv.data(), dqkv.data() + 128, dqkv.data() + 256, workspace.data());
  outputs.push_back(dqkv);

  const auto raw = random_values(64 * 9, 7, 10.0);
  quantile_head_forward(context_of(BackendKind::Cpu), raw.data(), output(64 * 9), 64, 9, 4);
  quantile_head_backward(context_of(BackendKind::Cpu), raw.data(), dy.data(), output(64 * 9), 64, 9, 4);

  const int64_t series_rows = 37, length = 336;
  const auto series = random_range(series_rows * length, 8, 0.0, 20.0);
  std::vector<float> revin_gamma{1.3f}, revin_beta{-0.2f}, smean(series_rows), ssd(series_rows);
  revin_normalize_forward(context_of(BackendKind::Cpu), series.data(), revin_gamma.data(), revin_beta.data(), output(series_rows * length),
                          smean.data(), ssd.data(), series_rows, length, 1, 1e-5f);
  mean_abs_scale_forward(context_of(BackendKind::Cpu), series.data(), output(series_rows * length), output(series_rows), series_rows, length, 1e-3f);
  return outputs;
}

}  // namespace

TEST_CASE("INVF_CPU_ISA names and errors", "[kernels][isa]") {
  CHECK(std::string(cpu_isa_name(CpuIsa::Scalar)) == "scalar");
  CHECK(std::string(cpu_isa_name(CpuIsa::Vec128)) == "vec128");
  CHECK(std::string(cpu_isa_name(CpuIsa::Avx2)) == "avx2");
  CHECK(std::string(cpu_isa_name(CpuIsa::Avx512)) == "avx512");
  CHECK(parse_cpu_isa("scalar") == CpuIsa::Scalar);
  CHECK(parse_cpu_isa("vec128") == CpuIsa::Vec128);
  CHECK(cpu_supports(CpuIsa::Scalar));
  CHECK(cpu_supports(CpuIsa::Vec128));  // every CPU: SSE2 and NEON are the targets' baselines
  for (const char* bad : {"sse9", "VEC128", "vec", ""}) {
    INFO("name '" << bad << "'");
    try {
      parse_cpu_isa(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK(std::string(e.what()).find("unknown instruction set '" + std::string(bad) + "' (use scalar, vec128, avx2 or avx512)") !=
            std::string::npos);
    }
  }
  for (const char* name : {"scalar", "vec128"}) {
    const ScopedIsaEnvironment environment(name);
    CHECK(cpu_isa_name(cpu_isa_from_environment()) == std::string(name));
  }
  {
    // Unset, or set but empty: the best ISA, avx512 over avx2 over vec128.
    const CpuIsa best = cpu_supports(CpuIsa::Avx512) ? CpuIsa::Avx512
                        : cpu_supports(CpuIsa::Avx2) ? CpuIsa::Avx2
                                                     : CpuIsa::Vec128;
    for (const char* value : {static_cast<const char*>(nullptr), ""}) {
      const ScopedIsaEnvironment environment(value);
      CHECK(cpu_isa_from_environment() == best);
    }
  }
  CHECK((!cpu_supports(CpuIsa::Avx512) || cpu_supports(CpuIsa::Avx2)));  // avx512 is AVX2's level plus
  for (const CpuIsa isa : {CpuIsa::Avx2, CpuIsa::Avx512}) {
    if (cpu_supports(isa)) continue;
    const ScopedIsaEnvironment environment(cpu_isa_name(isa));
    try {
      cpu_isa_from_environment();
      FAIL(cpu_isa_name(isa) << " was accepted on a CPU without it");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::Unsupported);
      CHECK(std::string(e.what()).find(std::string("does not support ") + cpu_isa_name(isa)) != std::string::npos);
    }
  }
}

TEST_CASE("INVF_CPU_ISA=vec128, =avx2 and =avx512 give the scalar results", "[kernels][isa]") {
  std::vector<std::vector<float>> scalar_outputs;
  {
    const ScopedIsaEnvironment environment("scalar");
    set_active_cpu_isa(cpu_isa_from_environment());
    REQUIRE(active_cpu_isa() == CpuIsa::Scalar);
    scalar_outputs = run_cpu_ops();
  }
  for (const CpuIsa isa : {CpuIsa::Vec128, CpuIsa::Avx2, CpuIsa::Avx512}) {
    const char* name = cpu_isa_name(isa);
    if (!cpu_supports(isa)) {
      WARN("this CPU has no " << name << ": its kernels cannot run");
      continue;
    }
    const ScopedIsaEnvironment environment(name);
    set_active_cpu_isa(cpu_isa_from_environment());
    REQUIRE(cpu_isa_name(active_cpu_isa()) == std::string(name));
    const std::vector<std::vector<float>> outputs = run_cpu_ops();
    REQUIRE(outputs.size() == scalar_outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      INFO(name << " output " << i);
      CHECK(record_error(std::string("scalar vs ") + name, max_relative_error(outputs[i], scalar_outputs[i])) < 1e-5);
    }
  }
}
