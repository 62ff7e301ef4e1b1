// The packed GEMM (kernels/gemm_packed_impl.hpp, through the PreparedLinear ops
// and cpu::packed_gemm directly) on every ISA this CPU runs, against a float64
// reference: many shapes (rows 1..1024 with odd sizes, in/out not multiples
// of the 6 x 16 tile or of the 256 k block), the three epilogues, row strides,
// NaN, batch invariance, hand-computed values and argument errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "error.hpp"
#include "gemm.hpp"
#include "ops.hpp"
#include "test_kernels_util.hpp"

using namespace invforecast;
using namespace invforecast::kernels;
using namespace invforecast::kernels::testing;

namespace {

constexpr double kTolerance = 1e-5;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

enum class Form { Plain, Gelu, Residual };

// y = form(x w^T + b) in float64; y_in is y's value before a residual call.
std::vector<double> reference(const std::vector<float>& x, const std::vector<float>& w,
                              const std::vector<float>& b, const std::vector<float>& y_in,
                              int64_t rows, int64_t in, int64_t out, Form form) {
  std::vector<double> y(static_cast<size_t>(rows * out));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double u = b[static_cast<size_t>(o)];
      for (int64_t i = 0; i < in; ++i)
        u += static_cast<double>(x[static_cast<size_t>(r * in + i)]) * w[static_cast<size_t>(o * in + i)];
      if (form == Form::Gelu) u *= 0.5 * std::erfc(-u / std::sqrt(2.0));
      if (form == Form::Residual) u += y_in[static_cast<size_t>(r * out + o)];
      y[static_cast<size_t>(r * out + o)] = u;
    }
  return y;
}

void run(BackendKind backend, const PreparedLinear& layer, const std::vector<float>& x, std::vector<float>& y,
         int64_t rows, Form form) {
  switch (form) {
    case Form::Plain: linear_forward(context_of(backend), layer, x.data(), y.data(), rows); return;
    case Form::Gelu: linear_gelu_forward(context_of(backend), layer, x.data(), y.data(), rows); return;
    case Form::Residual: linear_residual_forward(context_of(backend), layer, x.data(), y.data(), rows); return;
  }
}

const char* form_name(Form form) {
  return form == Form::Plain ? "plain" : form == Form::Gelu ? "gelu" : "residual";
}

struct Shape {
  int64_t in, out;
};

}  // namespace

TEST_CASE("packed GEMM matches a float64 reference on many shapes", "[kernels][gemm]") {
  // (in, out): the encoder's own, then sizes that are not multiples of 16 columns, of the
  // 256 k block (k > 512 is blocked), or tiny.
  const std::vector<Shape> shapes{{16, 128},  {128, 384}, {128, 128}, {128, 256}, {256, 128},
                                  {5376, 252}, {1, 1},    {3, 5},     {17, 15},   {33, 17},
                                  {100, 47},   {513, 33}, {700, 70},  {1000, 129}};
  const std::vector<int64_t> row_counts{1, 2, 3, 4, 5, 6, 7, 11, 13, 42, 97, 255, 1024};
  IsaSweep sweep;
  for (const CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    unsigned seed = 100;
    for (const Shape shape : shapes) {
      const auto w = random_values(shape.out * shape.in, ++seed, 1.0 / std::sqrt(shape.in));
      const auto b = random_values(shape.out, ++seed, 0.5);
      const PreparedLinear layer = backend_of(BackendKind::Cpu).prepare_linear(w.data(), b.data(), shape.in, shape.out);
      for (const int64_t rows : row_counts) {
        // Keeps the float64 reference cheap: the long-k shapes get the smaller row counts.
        if (rows * shape.in * shape.out > 40'000'000) continue;
        const auto x = random_values(rows * shape.in, ++seed);
        const auto y_in = random_values(rows * shape.out, ++seed);
        for (const Form form : {Form::Plain, Form::Gelu, Form::Residual}) {
          std::vector<float> y = y_in;
          run(BackendKind::Cpu, layer, x, y, rows, form);
          const auto want = reference(x, w, b, y_in, rows, shape.in, shape.out, form);
          INFO(cpu_isa_name(isa) << " " << form_name(form) << " rows " << rows << " in " << shape.in
                                 << " out " << shape.out);
          CHECK(record_error(std::string("packed gemm ") + form_name(form) + " [" + cpu_isa_name(isa) + "]",
                             max_relative_error(to_double(y), want)) <= kTolerance);
        }
      }
    }
  }
}

TEST_CASE("packed GEMM without a bias, with row strides, leaves other columns alone", "[kernels][gemm]") {
  const int64_t m = 13, k = 37, n = 21, lda = 40, ldc = 50;
  const auto w = random_values(n * k, 1), a = random_values(m * lda, 2);
  const cpu::PackedMatrix packed(w.data(), nullptr, n, k);
  CHECK(packed.padded_bias() == nullptr);
  CHECK(packed.panels() == 2);
  IsaSweep sweep;
  for (const CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    std::vector<float> c(static_cast<size_t>(m * ldc), 7.0f);
    cpu::packed_gemm(m, a.data(), lda, packed, c.data(), ldc, Epilogue::None, false);
    std::vector<double> got, want;
    int64_t untouched = 0;
    for (int64_t r = 0; r < m; ++r)
      for (int64_t col = 0; col < ldc; ++col) {
        const float value = c[static_cast<size_t>(r * ldc + col)];
        if (col >= n) {
          untouched += value == 7.0f;
          continue;
        }
        double sum = 0.0;
        for (int64_t i = 0; i < k; ++i)
          sum += static_cast<double>(a[static_cast<size_t>(r * lda + i)]) * w[static_cast<size_t>(col * k + i)];
        got.push_back(value);
        want.push_back(sum);
      }
    INFO(cpu_isa_name(isa));
    CHECK(untouched == m * (ldc - n));
    CHECK(max_relative_error(got, want) <= kTolerance);
  }
}

TEST_CASE("packed GEMM hand-computed values on every backend", "[kernels][gemm]") {
  // w [3, 2], b [3]; x [2, 2].
  const std::vector<float> w{1, 2, 3, 4, 5, 6}, b{0.5f, 0, -1}, x{1, 1, 2, -1};
  IsaSweep sweep;
  for (const CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
      INFO(cpu_isa_name(isa) << " " << backend_name(backend));
      const PreparedLinear layer = backend_of(backend).prepare_linear(w.data(), b.data(), 2, 3);
      std::vector<float> y(6, 0.0f);
      linear_forward(context_of(backend), layer, x.data(), y.data(), 2);
      CHECK(y == std::vector<float>{3.5f, 7, 10, 0.5f, 2, 3});
      linear_residual_forward(context_of(backend), layer, x.data(), y.data(), 2);
      CHECK(y == std::vector<float>{7, 14, 20, 1, 4, 6});
      linear_gelu_forward(context_of(backend), layer, x.data(), y.data(), 2);
      // gelu(u) = u * Phi(u): Phi(0.5) = 0.691462..., Phi(2) = 0.977250..., Phi(3) = 0.998650...
      // (float32 through a fitted erf, a few ulp of 1.2e-7: 1e-6 relative).
      CHECK(y[3] == Approx(0.5 * 0.6914624613).epsilon(1e-6));
      CHECK(y[4] == Approx(2.0 * 0.9772498681).epsilon(1e-6));
      CHECK(y[5] == Approx(3.0 * 0.9986501020).epsilon(1e-6));
    }
  }
}

TEST_CASE("packed GEMM gives a row the same bits alone or among others", "[kernels][gemm]") {
  const int64_t in = 700, out = 70, rows = 37;  // in > 512: the k-blocked path too
  const auto w = random_values(out * in, 1), b = random_values(out, 2), x = random_values(rows * in, 3);
  const PreparedLinear layer = backend_of(BackendKind::Cpu).prepare_linear(w.data(), b.data(), in, out);
  IsaSweep sweep;
  for (const CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    std::vector<float> together(static_cast<size_t>(rows * out)), alone(together.size());
    linear_gelu_forward(context_of(BackendKind::Cpu), layer, x.data(), together.data(), rows);
    for (int64_t r = 0; r < rows; ++r)
      linear_gelu_forward(context_of(BackendKind::Cpu), layer, x.data() + r * in, alone.data() + r * out, 1);
    INFO(cpu_isa_name(isa));
    CHECK(std::memcmp(together.data(), alone.data(), together.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("packed GEMM in 512-bit registers gives AVX2's bits", "[kernels][gemm]") {
  // gemm_avx512.cpp's claim (cpu_isa.hpp): every output summed in the same order, the GELU
  // epilogue the same operations lane by lane, so forecasts do not depend on the level.
  if (!cpu_supports(CpuIsa::Avx512)) {
    WARN("this CPU has no AVX-512F: the avx512 GEMM cannot run");
    return;
  }
  IsaSweep sweep;  // restores the active ISA
  const std::vector<Shape> shapes{{16, 128}, {128, 384}, {256, 128}, {5376, 252}, {17, 15}, {700, 70}};
  unsigned seed = 300;
  for (const Shape shape : shapes)
    for (const int64_t rows : {1, 2, 5, 6, 7, 97, 336}) {
      const auto w = random_values(shape.out * shape.in, ++seed, 1.0 / std::sqrt(shape.in));
      const auto b = random_values(shape.out, ++seed, 0.5);
      const auto x = random_values(rows * shape.in, ++seed), y_in = random_values(rows * shape.out, ++seed);
      const PreparedLinear layer = backend_of(BackendKind::Cpu).prepare_linear(w.data(), b.data(), shape.in, shape.out);
      for (const Form form : {Form::Plain, Form::Gelu, Form::Residual}) {
        std::vector<float> y2 = y_in, y512 = y_in;
        set_active_cpu_isa(CpuIsa::Avx2);
        run(BackendKind::Cpu, layer, x, y2, rows, form);
        set_active_cpu_isa(CpuIsa::Avx512);
        run(BackendKind::Cpu, layer, x, y512, rows, form);
        INFO(form_name(form) << " rows " << rows << " in " << shape.in << " out " << shape.out);
        CHECK(std::memcmp(y2.data(), y512.data(), y2.size() * sizeof(float)) == 0);
      }
    }
}

TEST_CASE("packed GEMM propagates NaN to exactly the outputs it reaches", "[kernels][gemm]") {
  const int64_t in = 600, out = 40, rows = 9;
  auto w = random_values(out * in, 1);
  const auto b = random_values(out, 2);
  auto x = random_values(rows * in, 3);
  x[static_cast<size_t>(4 * in + 555)] = kNaN;  // row 4, in the second k block
  w[static_cast<size_t>(33 * in + 7)] = kNaN;   // column 33, in the partial third panel
  const PreparedLinear layer = backend_of(BackendKind::Cpu).prepare_linear(w.data(), b.data(), in, out);
  IsaSweep sweep;
  for (const CpuIsa isa : sweep.isas()) {
    set_active_cpu_isa(isa);
    for (const Form form : {Form::Plain, Form::Gelu, Form::Residual}) {
      std::vector<float> y(static_cast<size_t>(rows * out), 1.0f);
      run(BackendKind::Cpu, layer, x, y, rows, form);
      int64_t wrong = 0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o)
          wrong += std::isnan(y[static_cast<size_t>(r * out + o)]) != (r == 4 || o == 33);
      INFO(cpu_isa_name(isa) << " " << form_name(form));
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("packed linear ops refuse bad arguments", "[kernels][gemm][errors]") {
  const std::vector<float> w(6, 1.0f), x(4, 1.0f);
  std::vector<float> y(6);
  // "ok" when the call returns, else the code and message of its Error.
  auto outcome = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const Error& e) {
      return std::to_string(static_cast<int>(e.code())) + " " + e.what();
    }
    return "ok";
  };
  const auto code = [](ErrorCode c) { return std::to_string(static_cast<int>(c)) + " "; };
  const Backend& cpu = backend_of(BackendKind::Cpu);
  CHECK(outcome([&] { cpu.prepare_linear(w.data(), nullptr, 0, 3); }) ==
        code(ErrorCode::InvalidArgument) +
            "prepare_linear: in_features and out_features must be >= 1, got 0 and 3");
  CHECK(outcome([&] { cpu.prepare_linear(w.data(), nullptr, 2, -1); }) ==
        code(ErrorCode::InvalidArgument) +
            "prepare_linear: in_features and out_features must be >= 1, got 2 and -1");
  CHECK(outcome([&] { cpu.prepare_linear(nullptr, nullptr, 2, 3); }) ==
        code(ErrorCode::NullPointer) + "prepare_linear: w is null");
  const PreparedLinear empty;
  CHECK(outcome([&] { linear_forward(context_of(BackendKind::Cpu), empty, x.data(), y.data(), 2); }) ==
        code(ErrorCode::InvalidArgument) + "linear_forward: the PreparedLinear holds no weights");
  const PreparedLinear layer = cpu.prepare_linear(w.data(), nullptr, 2, 3);
  // Weights prepared by one backend are never run by another (the Cpu form is packed).
  const PreparedLinear on_reference =
      backend_of(BackendKind::Reference).prepare_linear(w.data(), nullptr, 2, 3);
  CHECK(outcome([&] { linear_forward(context_of(BackendKind::Cpu), on_reference, x.data(), y.data(), 2); }) ==
        code(ErrorCode::InvalidArgument) +
            "linear_forward: the weights were prepared by the reference backend, the context runs cpu");
  CHECK(outcome([&] { linear_forward(context_of(BackendKind::Cpu), layer, x.data(), y.data(), -1); }) ==
        code(ErrorCode::InvalidArgument) + "linear_forward: rows must be >= 0, got -1");
  CHECK(outcome([&] { linear_gelu_forward(context_of(BackendKind::Cpu), layer, nullptr, y.data(), 2); }) ==
        code(ErrorCode::NullPointer) + "linear_gelu_forward: x is null");
  CHECK(outcome([&] { linear_residual_forward(context_of(BackendKind::Cpu), layer, x.data(), nullptr, 2); }) ==
        code(ErrorCode::NullPointer) + "linear_residual_forward: y is null");
  CHECK(outcome([&] { linear_forward(context_of(BackendKind::Cuda), layer, x.data(), y.data(), 2); }).rfind(
            code(ErrorCode::Unsupported), 0) == 0);
  // No rows: nothing to do, null pointers allowed.
  CHECK(outcome([&] { linear_forward(context_of(BackendKind::Cpu), layer, nullptr, nullptr, 0); }) == "ok");
}

TEST_CASE("a copied PackedMatrix computes the same as its source", "[kernels][gemm]") {
  const int64_t in = 19, out = 23, rows = 5;
  const auto w = random_values(out * in, 1), b = random_values(out, 2), x = random_values(rows * in, 3);
  const cpu::PackedMatrix original(w.data(), b.data(), out, in);
  cpu::PackedMatrix copy = original;
  copy = cpu::PackedMatrix(original);
  std::vector<float> y1(static_cast<size_t>(rows * out)), y2(y1.size());
  cpu::packed_gemm(rows, x.data(), in, original, y1.data(), out, Epilogue::None, false);
  cpu::packed_gemm(rows, x.data(), in, copy, y2.data(), out, Epilogue::None, false);
  CHECK(copy.panel_data() != original.panel_data());
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
}
