// The backend interface (kernels/backend.hpp): the registry and its errors,
// backend memory and copies, context scratch, float64 through the same
// dispatch as float32; and the data-movement ops the layers use instead of
// host loops (add_rows and its adjoint, clamp_min, patchify and its
// adjoint): hand-computed values, Cpu against Reference on random inputs,
// and each backward against finite differences of its forward in float64.
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "backend.hpp"
#include "error.hpp"
#include "ops.hpp"
#include "test_kernels_util.hpp"

using namespace invforecast;
using namespace invforecast::kernels;
using namespace invforecast::kernels::testing;

namespace {

std::string failure(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return std::to_string(static_cast<int>(e.code())) + " " + e.what();
  }
  return "ok";
}

std::string code(ErrorCode c) { return std::to_string(static_cast<int>(c)) + " "; }

// <f(x), weights> for a linear op f, to take finite differences of.
double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double total = 0.0;
  for (size_t i = 0; i < a.size(); ++i) total += a[i] * b[i];
  return total;
}

}  // namespace

TEST_CASE("backends are found by kind and by name, and refused with UNSUPPORTED", "[backend]") {
  CHECK(backend_of(BackendKind::Reference).kind() == BackendKind::Reference);
  CHECK(backend_of(BackendKind::Cpu).kind() == BackendKind::Cpu);
  CHECK(&backend_named("cpu") == &backend_of(BackendKind::Cpu));
  CHECK(&backend_named("reference") == &backend_of(BackendKind::Reference));
  CHECK(failure([] { backend_of(BackendKind::Cuda); }) ==
        code(ErrorCode::Unsupported) +
            "the cuda backend is not available: this library was built without it (the "
            "backends built in are reference and cpu)");
  CHECK(failure([] { backend_named("cuda"); }).rfind(code(ErrorCode::Unsupported), 0) == 0);
  CHECK(failure([] { backend_named("CPU"); }) ==
        code(ErrorCode::Unsupported) +
            "unknown backend 'CPU': the backends built in are reference and cpu");
}

TEST_CASE("backend memory: aligned buffers, copies both ways, scratch that only grows",
          "[backend]") {
  for (const BackendKind kind : {BackendKind::Reference, BackendKind::Cpu}) {
    const Backend& backend = backend_of(kind);
    INFO(backend.name());
    Context ctx(backend);
    Buffer<double> buffer(backend, 37);
    REQUIRE(buffer.size() == 37);
    CHECK(reinterpret_cast<uintptr_t>(buffer.data()) % 64 == 0);
    const std::vector<double> host = random_values<double>(37, 5);
    backend.upload(ctx, buffer.data(), host.data(), host.size() * sizeof(double));
    std::vector<double> back(37, 0.0);
    backend.download(ctx, back.data(), buffer.data(), back.size() * sizeof(double));
    CHECK(back == host);
    // Moving hands the memory over; the source no longer owns it.
    Buffer<double> moved = std::move(buffer);
    CHECK(buffer.data() == nullptr);
    CHECK(moved.size() == 37);

    float* small = ctx.scratch(100);
    CHECK(ctx.scratch(50) == small);  // no reallocation when less is asked for
    float* large = ctx.scratch(1000);
    CHECK(large != nullptr);
    CHECK(ctx.scratch(1000) == large);
    CHECK(failure([&] { backend.allocate(0); }).rfind(code(ErrorCode::InvalidArgument), 0) == 0);
    CHECK(failure([&] { backend.allocate(size_t{1} << 62); }) ==
          code(ErrorCode::OutOfMemory) + backend.name() +
              " backend: out of memory allocating 4611686018427387904 bytes");
  }
}

TEST_CASE("float64 runs through the same dispatch, on the backends that have it", "[backend]") {
  const std::vector<double> x = random_values<double>(12, 1), w = random_values<double>(6, 2);
  std::vector<double> y(8, 0.0);
  linear_forward(context_of(BackendKind::Reference), x.data(), w.data(), nullptr, y.data(), 4, 3,
                 2);
  // y = x w^T, row 0 by hand.
  CHECK(y[0] == Approx(x[0] * w[0] + x[1] * w[1] + x[2] * w[2]).epsilon(1e-15));
  CHECK(y[1] == Approx(x[0] * w[3] + x[1] * w[4] + x[2] * w[5]).epsilon(1e-15));
  CHECK(failure([&] {
          linear_forward(context_of(BackendKind::Cpu), x.data(), w.data(), nullptr, y.data(), 4, 3,
                         2);
        }) == code(ErrorCode::Unsupported) +
                  "linear_forward: the cpu backend has no float64 implementation");
  // Shapes are checked before the backend is asked, whatever the type.
  CHECK(failure([&] {
          linear_forward(context_of(BackendKind::Cpu), x.data(), w.data(), nullptr, y.data(), -1,
                         3, 2);
        }) == code(ErrorCode::InvalidArgument) + "linear_forward: rows must be >= 0, got -1");
}

TEST_CASE("data-movement ops: hand-computed values", "[backend][kernels]") {
  for (const BackendKind kind : {BackendKind::Reference, BackendKind::Cpu}) {
    INFO(backend_name(kind));
    const Context& ctx = context_of(kind);
    // y [4, 2] += x [2, 2] repeated every 2 rows.
    const std::vector<float> x{1, 2, 3, 4};
    std::vector<float> y{10, 20, 30, 40, 50, 60, 70, 80};
    add_rows(ctx, x.data(), y.data(), 4, 2, 2);
    CHECK(y == std::vector<float>{11, 22, 33, 44, 51, 62, 73, 84});
    std::vector<float> sums(4, -1.0f);
    add_rows_backward(ctx, y.data(), sums.data(), 4, 2, 2);
    CHECK(sums == std::vector<float>{11 + 51, 22 + 62, 33 + 73, 44 + 84});

    std::vector<float> values{-2.0f, 0.0f, 3.5f, -0.25f};
    clamp_min(ctx, values.data(), 4, 0.0f);
    CHECK(values == std::vector<float>{0.0f, 0.0f, 3.5f, 0.0f});

    // One series of 5 values, patches of 3 with stride 2: 3 tokens, the last one padded
    // with the last value; position 2 hidden.
    const std::vector<float> series{1, 2, 3, 4, 5};
    const std::vector<uint8_t> hidden{0, 0, 1, 0, 0};
    std::vector<float> patches(9, -1.0f);
    patchify_forward(ctx, series.data(), nullptr, patches.data(), 1, 5, 3, 2, 3);
    CHECK(patches == std::vector<float>{1, 2, 3, 3, 4, 5, 5, 5, 5});
    patchify_forward(ctx, series.data(), hidden.data(), patches.data(), 1, 5, 3, 2, 3);
    CHECK(patches == std::vector<float>{1, 2, 0, 0, 4, 5, 5, 5, 5});
    // The adjoint sums every patch position reading a value; hidden ones read nothing.
    const std::vector<float> d_patches{1, 1, 1, 1, 1, 1, 1, 1, 1};
    std::vector<float> dx(5, -1.0f);
    patchify_backward(ctx, d_patches.data(), nullptr, dx.data(), 1, 5, 3, 2, 3);
    CHECK(dx == std::vector<float>{1, 1, 2, 1, 4});
    patchify_backward(ctx, d_patches.data(), hidden.data(), dx.data(), 1, 5, 3, 2, 3);
    CHECK(dx == std::vector<float>{1, 1, 0, 1, 4});
  }
}

TEST_CASE("data-movement ops: Cpu matches Reference bit for bit on random inputs",
          "[backend][kernels]") {
  // Both backends run the same loops (the ops only move and add values in one order), so the
  // results must be identical, not merely close.
  const int64_t series = 7, length = 53, patch = 16, stride = 8, tokens = 6, cols = 19;
  const std::vector<float> x = random_values(static_cast<size_t>(series * length), 3);
  std::vector<uint8_t> hidden(x.size(), 0);
  for (size_t i = 0; i < hidden.size(); i += 3) hidden[i] = 1;
  std::vector<float> ref(static_cast<size_t>(series * tokens * patch)), fast(ref.size());
  patchify_forward(context_of(BackendKind::Reference), x.data(), hidden.data(), ref.data(), series,
                   length, patch, stride, tokens);
  patchify_forward(context_of(BackendKind::Cpu), x.data(), hidden.data(), fast.data(), series,
                   length, patch, stride, tokens);
  CHECK(std::memcmp(ref.data(), fast.data(), ref.size() * sizeof(float)) == 0);
  std::vector<float> ref_dx(x.size()), fast_dx(x.size());
  patchify_backward(context_of(BackendKind::Reference), ref.data(), hidden.data(), ref_dx.data(),
                    series, length, patch, stride, tokens);
  patchify_backward(context_of(BackendKind::Cpu), ref.data(), hidden.data(), fast_dx.data(), series,
                    length, patch, stride, tokens);
  CHECK(std::memcmp(ref_dx.data(), fast_dx.data(), ref_dx.size() * sizeof(float)) == 0);

  const std::vector<float> rows = random_values(static_cast<size_t>(42 * cols), 4);
  std::vector<float> ref_y = random_values(static_cast<size_t>(5 * 42 * cols), 5), fast_y = ref_y;
  add_rows(context_of(BackendKind::Reference), rows.data(), ref_y.data(), 5 * 42, cols, 42);
  add_rows(context_of(BackendKind::Cpu), rows.data(), fast_y.data(), 5 * 42, cols, 42);
  CHECK(std::memcmp(ref_y.data(), fast_y.data(), ref_y.size() * sizeof(float)) == 0);
}

TEST_CASE("grad: add_rows and patchify against finite differences", "[backend][grad]") {
  // Both forwards are linear in x, so central differences are exact up to rounding (~1e-10
  // with finite_difference_error's step of 1e-5 on values of order 1): 1e-8 leaves a margin.
  constexpr double kTolerance = 1e-8;
  const Context& ctx = context_of(BackendKind::Reference);
  {
    const int64_t rows = 12, cols = 5, period = 4;
    std::vector<double> x = random_values<double>(static_cast<size_t>(period * cols), 7);
    const std::vector<double> base = random_values<double>(static_cast<size_t>(rows * cols), 8);
    const std::vector<double> dy = random_values<double>(base.size(), 9);
    auto loss = [&] {
      std::vector<double> y = base;
      add_rows(ctx, x.data(), y.data(), rows, cols, period);
      return dot(y, dy);
    };
    std::vector<double> dx(x.size());
    add_rows_backward(ctx, dy.data(), dx.data(), rows, cols, period);
    CHECK(finite_difference_error(x, dx, loss) < kTolerance);
  }
  {
    const int64_t series = 3, length = 21, patch = 6, stride = 4, tokens = 5;
    std::vector<double> x = random_values<double>(static_cast<size_t>(series * length), 10);
    std::vector<uint8_t> hidden(x.size(), 0);
    hidden[4] = hidden[30] = hidden[62] = 1;
    const std::vector<double> dp =
        random_values<double>(static_cast<size_t>(series * tokens * patch), 11);
    auto loss = [&] {
      std::vector<double> p(dp.size());
      patchify_forward(ctx, x.data(), hidden.data(), p.data(), series, length, patch, stride,
                       tokens);
      return dot(p, dp);
    };
    std::vector<double> dx(x.size());
    patchify_backward(ctx, dp.data(), hidden.data(), dx.data(), series, length, patch, stride,
                      tokens);
    CHECK(finite_difference_error(x, dx, loss) < kTolerance);
    CHECK(dx[4] == 0.0);  // hidden: no gradient reaches it
  }
}
