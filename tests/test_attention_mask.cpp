// The attention's padding mask (kernels::attention_forward with key_lengths): the Cpu backend at
// every ISA against the Reference backend, each sequence against the same sequence unpadded, and
// the checks on the lengths.
#include <catch2/catch.hpp>
#include <cmath>

#include "error.hpp"
#include "ops.hpp"
#include "test_kernels_util.hpp"

using namespace invforecast;
using namespace invforecast::kernels;
using namespace invforecast::kernels::testing;

namespace {

// A reference in float and a different summation order in the fast path: 1e-5 relative, as the
// unmasked attention's tolerance in test_kernels.cpp.
constexpr double kTolerance = 1e-5;

struct MaskedCase {
  int64_t tokens, heads, head_dim;
  std::vector<int32_t> lengths;  // one per sequence of the batch
};

std::vector<float> attend(BackendKind backend, const AttentionDims& dims, const std::vector<float>& qkv,
                          const int32_t* lengths) {
  const int64_t d_model = dims.heads * dims.head_dim;
  std::vector<float> out(dims.batch * dims.tokens * d_model);
  std::vector<float> workspace(attention_workspace_floats(dims));
  attention_forward(context_of(backend), dims, qkv.data(), qkv.data() + d_model, qkv.data() + 2 * d_model,
                    out.data(), nullptr, workspace.data(), nullptr, lengths);
  return out;
}

}  // namespace

TEST_CASE("masked attention: cpu matches reference, and a padded sequence its unpadded self", "[kernels][text]") {
  // Lengths across the vector widths (1, 4, 8 lanes) and tile sizes: 1 key, a partial vector, exact
  // multiples, the whole sequence.
  const std::vector<MaskedCase> cases = {{5, 2, 4, {1, 5, 3}},
                                         {17, 4, 8, {17, 9, 8, 1, 16}},
                                         {40, 3, 16, {33, 40, 7}},
                                         {64, 12, 32, {64, 2}}};
  IsaSweep sweep;
  unsigned seed = 900;
  for (const MaskedCase& c : cases) {
    const int64_t batch = static_cast<int64_t>(c.lengths.size()), d_model = c.heads * c.head_dim;
    const AttentionDims dims{batch, c.tokens, c.heads, c.head_dim, 3 * d_model, d_model};
    const std::vector<float> qkv = random_values(static_cast<size_t>(batch * c.tokens * 3 * d_model), seed++, 2.0);
    const std::vector<float> ref = attend(BackendKind::Reference, dims, qkv, c.lengths.data());
    for (CpuIsa isa : sweep.isas()) {
      set_active_cpu_isa(isa);
      INFO(cpu_isa_name(isa) << " tokens " << c.tokens << " heads " << c.heads);
      const std::vector<float> fast = attend(BackendKind::Cpu, dims, qkv, c.lengths.data());
      CHECK(max_relative_error(fast, ref) < kTolerance);

      // Each sequence alone, cut to its length (no mask needed): its real rows must agree.
      for (int64_t b = 0; b < batch; ++b) {
        const int64_t n = c.lengths[b];
        const AttentionDims one{1, n, c.heads, c.head_dim, 3 * d_model, d_model};
        const std::vector<float> alone_in(qkv.begin() + b * c.tokens * 3 * d_model,
                                          qkv.begin() + (b * c.tokens + n) * 3 * d_model);
        const std::vector<float> alone = attend(BackendKind::Cpu, one, alone_in, nullptr);
        const std::vector<float> padded(fast.begin() + b * c.tokens * d_model,
                                        fast.begin() + (b * c.tokens + n) * d_model);
        INFO("sequence " << b << " of length " << n);
        CHECK(max_relative_error(padded, alone) < kTolerance);
      }
    }
  }

  // The mask changes the result: sequence 0 of the second case (17 of 17 keys) aside, a length
  // below the token count must not give the unmasked output.
  const AttentionDims dims{1, 9, 2, 4, 24, 8};
  const std::vector<float> qkv = random_values(9 * 24, 77, 2.0);
  const int32_t four = 4;
  CHECK(max_relative_error(attend(BackendKind::Reference, dims, qkv, &four),
                           attend(BackendKind::Reference, dims, qkv, nullptr)) > 1e-2);
}

TEST_CASE("masked attention: the probabilities are 0 on the masked keys and sum to 1", "[kernels][text]") {
  const std::vector<int32_t> lengths = {3, 11, 1};
  const int64_t n = 11, heads = 2, dh = 4, d_model = heads * dh, batch = 3;
  const AttentionDims dims{batch, n, heads, dh, 3 * d_model, d_model};
  const std::vector<float> qkv = random_values(static_cast<size_t>(batch * n * 3 * d_model), 31, 2.0);
  std::vector<std::vector<float>> p(2, std::vector<float>(static_cast<size_t>(batch * heads * n * n), -1.0f));
  std::vector<float> out(batch * n * d_model), workspace(attention_workspace_floats(dims));
  const BackendKind kinds[] = {BackendKind::Reference, BackendKind::Cpu};
  for (int k = 0; k < 2; ++k) {
    attention_forward(context_of(kinds[k]), dims, qkv.data(), qkv.data() + d_model, qkv.data() + 2 * d_model,
                      out.data(), nullptr, workspace.data(), p[k].data(), lengths.data());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t row = 0; row < heads * n; ++row) {
        const float* r = p[k].data() + (b * heads * n + row) * n;
        double total = 0;
        for (int64_t j = 0; j < n; ++j) {
          INFO(backend_name(kinds[k]) << " sequence " << b << " key " << j);
          if (j >= lengths[b]) CHECK(r[j] == 0.0f);
          total += r[j];
        }
        CHECK(std::abs(total - 1) < 1e-6);
      }
  }
  CHECK(max_relative_error(p[1], p[0]) < kTolerance);
}

TEST_CASE("masked attention: lengths outside [1, tokens] are refused", "[kernels][text]") {
  const AttentionDims dims{2, 6, 1, 4, 12, 4};
  const std::vector<float> qkv = random_values(2 * 6 * 12, 5);
  for (const std::vector<int32_t>& lengths : {std::vector<int32_t>{0, 3}, {6, 7}, {-1, 2}})
    for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
      try {
        attend(backend, dims, qkv, lengths.data());
        FAIL("accepted lengths outside [1, 6]");
      } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
        CHECK_THAT(e.what(), Catch::Contains("key_lengths[") && Catch::Contains("outside [1, 6]"));
      }
    }
}
