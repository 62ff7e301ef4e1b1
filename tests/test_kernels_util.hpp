// Helpers shared by the kernel tests (test_kernels*.cpp, test_grad*.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backend.hpp"
#include "cpu_isa.hpp"

namespace invforecast::kernels::testing {

// Uniform values in [-amplitude, amplitude]; a fixed seed per call site keeps
// failures reproducible.  Never all zeros (asserted by the callers' errors:
// max_relative_error refuses an all-zero reference).
template <class T = float>
std::vector<T> random_values(size_t count, unsigned seed, double amplitude = 1.0) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(-amplitude, amplitude);
  std::vector<T> values(count);
  for (auto& value : values) value = static_cast<T>(uniform(engine));
  return values;
}

// Values in [low, high] (positive scales, gammas kept away from zero).
template <class T = float>
std::vector<T> random_range(size_t count, unsigned seed, double low, double high) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  std::vector<T> values(count);
  for (auto& value : values) value = static_cast<T>(uniform(engine));
  return values;
}

// max |got - want| / max |want|.  Any NaN or infinity in either, or a
// reference that is all zeros, gives +inf: NaN never passes as "close".
template <class T>
double max_relative_error(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size() || want.empty()) return std::numeric_limits<double>::infinity();
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    if (!std::isfinite(g) || !std::isfinite(w)) return std::numeric_limits<double>::infinity();
    max_diff = std::max(max_diff, std::abs(g - w));
    max_ref = std::max(max_ref, std::abs(w));
  }
  if (max_ref == 0.0) return std::numeric_limits<double>::infinity();
  return max_diff / max_ref;
}

// Keeps the worst error seen per op; with INVF_PRINT_KERNEL_ERRORS=1 they are
// printed at exit (the figures in the kernels' notes come from there).
class ErrorLog {
 public:
  static ErrorLog& instance() {
    static ErrorLog log;
    return log;
  }
  void record(const std::string& op, double error) {
    for (auto& entry : entries_)
      if (entry.first == op) {
        entry.second = std::max(entry.second, error);
        return;
      }
    entries_.emplace_back(op, error);
  }
  ~ErrorLog() {
    const char* print = std::getenv("INVF_PRINT_KERNEL_ERRORS");
    if (!print || std::string(print) != "1") return;
    for (const auto& [op, error] : entries_) std::printf("max relative error %-40s %.3g\n", op.c_str(), error);
  }

 private:
  std::vector<std::pair<std::string, double>> entries_;
};

inline double record_error(const std::string& op, double error) {
  ErrorLog::instance().record(op, error);
  return error;
}

// Every ISA this CPU runs, the active one restored on scope exit.
class IsaSweep {
 public:
  IsaSweep() : saved_(active_cpu_isa()) {
    for (CpuIsa isa : {CpuIsa::Scalar, CpuIsa::Vec128, CpuIsa::Avx2, CpuIsa::Avx512})
      if (cpu_supports(isa)) isas_.push_back(isa);
  }
  ~IsaSweep() { set_active_cpu_isa(saved_); }
  const std::vector<CpuIsa>& isas() const { return isas_; }

 private:
  CpuIsa saved_;
  std::vector<CpuIsa> isas_;
};

// Number of operator new calls `work` makes on this thread.  The replacement
// operators live in test_kernels_alloc.cpp (one definition per program: reuse
// this for other allocation tests rather than replacing operator new again).
// Blocks that libraries obtain with malloc directly are not seen.
long count_allocations(const std::function<void()>& work);

inline std::vector<float> to_float(const std::vector<double>& values) {
  return std::vector<float>(values.begin(), values.end());
}

inline std::vector<double> to_double(const std::vector<float>& values) {
  return std::vector<double>(values.begin(), values.end());
}

// Max relative error between the analytic gradient of `loss` with respect to
// `input` and central differences of `loss` (step 1e-5), which reads `input`
// in place (float64).
inline double finite_difference_error(std::vector<double>& input,
                                      const std::vector<double>& analytic,
                                      const std::function<double()>& loss) {
  constexpr double kStep = 1e-5;
  std::vector<double> numeric(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    const double saved = input[i];
    input[i] = saved + kStep;
    const double up = loss();
    input[i] = saved - kStep;
    const double down = loss();
    input[i] = saved;
    numeric[i] = (up - down) / (2 * kStep);
  }
  return max_relative_error(analytic, numeric);
}

// A process-wide context of each backend, for calling ops in tests (ops on
// one context run in order; the tests' ops take no scratch from it).  The
// cuda one throws Error(Unsupported) in a build without that backend.
inline const Context& context_of(BackendKind kind) {
  switch (kind) {
    case BackendKind::Reference: {
      static const Context reference(BackendKind::Reference);
      return reference;
    }
    case BackendKind::Cpu: {
      static const Context cpu(BackendKind::Cpu);
      return cpu;
    }
    case BackendKind::Cuda: break;
  }
  static const Context cuda(BackendKind::Cuda);
  return cuda;
}

}  // namespace invforecast::kernels::testing
