// The sentence encoder (lib/text/text_encoder.*) and the whole text model (text_model.*) against
// Hugging Face transformers: a tiny random BertModel (tests/make_text_fixture.py tiny, checked in)
// on both backends, batch independence, the input checks, texts to ids to embeddings, and
// all-MiniLM-L6-v2 itself when INVF_TEXT_MODEL names its converted file: from HF's token ids, and
// from the raw texts with identical ids.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "error.hpp"
#include "text/text_model.hpp"

using namespace invforecast;
using namespace invforecast::text;
namespace kern = invforecast::kernels;

namespace {

const std::string kFixtures = std::string(INVF_TEST_FIXTURES) + "/text/";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double cosine(std::span<const float> a, std::span<const double> b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += a[i] * b[i];
    aa += double(a[i]) * a[i];
    bb += b[i] * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

// max |a - b| / max |b|.
double relative_error(std::span<const float> a, const std::vector<double>& b) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - b[i]));
    ref = std::max(ref, std::abs(b[i]));
  }
  return ref > 0 ? diff / ref : INFINITY;
}

struct FixtureText {
  std::vector<int32_t> ids;
  std::vector<double> embedding, last_hidden;
};

std::vector<std::vector<FixtureText>> tiny_batches() {
  const nlohmann::json j = nlohmann::json::parse(read_all(kFixtures + "tiny_expected.json"));
  std::vector<std::vector<FixtureText>> batches;
  for (const auto& batch : j.at("batches")) {
    auto& texts = batches.emplace_back();
    for (const auto& t : batch)
      texts.push_back({t.at("ids").get<std::vector<int32_t>>(), t.at("embedding").get<std::vector<double>>(),
                       t.at("last_hidden").get<std::vector<double>>()});
  }
  return batches;
}

const TextEncoder& tiny_encoder(kern::BackendKind kind) {
  static const TextEncoder reference(TextModelFile::open(kFixtures + "tiny_bert.invft"),
                                     kern::backend_of(kern::BackendKind::Reference));
  static const TextEncoder cpu(TextModelFile::open(kFixtures + "tiny_bert.invft"),
                               kern::backend_of(kern::BackendKind::Cpu));
  return kind == kern::BackendKind::Cpu ? cpu : reference;
}

}  // namespace

TEST_CASE("text encoder: a tiny random BERT matches transformers on both backends", "[text]") {
  // float32 against transformers in float64 through 2 post-norm layers of width 32 with weights of
  // std 0.3: measured at most 1.2e-6 (embeddings and hidden states, both backends, AVX2); 1e-5
  // leaves room for other summation orders, while a wrong op (a missing mask, a swapped LayerNorm,
  // the tanh GELU) is off by far more.
  constexpr double kTolerance = 1e-5;
  for (kern::BackendKind kind : {kern::BackendKind::Reference, kern::BackendKind::Cpu}) {
    const TextEncoder& encoder = tiny_encoder(kind);
    REQUIRE(encoder.dim() == 32);
    for (const auto& batch : tiny_batches()) {
      std::vector<std::vector<int32_t>> ids;
      for (const FixtureText& t : batch) ids.push_back(t.ids);
      std::vector<float> out(ids.size() * 32);
      std::vector<std::vector<float>> hidden;
      encoder.embed(ids, out, &hidden);
      for (size_t i = 0; i < batch.size(); ++i) {
        INFO(kern::backend_name(kind) << " text of " << batch[i].ids.size() << " tokens");
        const std::span<const float> row(out.data() + i * 32, 32);
        CHECK(relative_error(row, batch[i].embedding) < kTolerance);
        CHECK(cosine(row, batch[i].embedding) > 1 - 1e-7);
        REQUIRE(hidden[i].size() == batch[i].last_hidden.size());
        CHECK(relative_error(hidden[i], batch[i].last_hidden) < kTolerance);
      }
    }
  }
}

TEST_CASE("text encoder: a text's embedding does not depend on the texts beside it", "[text]") {
  std::vector<std::vector<int32_t>> all;
  for (const auto& batch : tiny_batches())
    for (const FixtureText& t : batch) all.push_back(t.ids);
  // More texts than one internal batch, so that texts also meet in different batches.
  while (all.size() <= TextEncoder::kTextBatch) all.push_back(all[all.size() % 7]);
  for (kern::BackendKind kind : {kern::BackendKind::Reference, kern::BackendKind::Cpu}) {
    const TextEncoder& encoder = tiny_encoder(kind);
    std::vector<float> together(all.size() * 32);
    encoder.embed(all, together);
    for (size_t i = 0; i < all.size(); ++i) {
      std::vector<float> alone(32);
      encoder.embed(std::span(&all[i], 1), alone);
      INFO(kern::backend_name(kind) << " text " << i << " of " << all[i].size() << " tokens");
      // The padded keys carry exp(-87) at most in the Cpu softmax and exactly 0 in the Reference's:
      // the same up to float rounding of the GEMMs over a different tile.
      double diff = 0;
      for (size_t d = 0; d < 32; ++d) diff = std::max(diff, double(std::abs(alone[d] - together[i * 32 + d])));
      CHECK(diff < 1e-6);
    }
  }
}

TEST_CASE("text encoder: bad token ids and small buffers are named", "[text]") {
  const TextEncoder& encoder = tiny_encoder(kern::BackendKind::Cpu);
  std::vector<float> out(64);
  auto error_of = [&](std::vector<std::vector<int32_t>> texts, size_t floats) {
    try {
      encoder.embed(texts, std::span(out.data(), floats));
    } catch (const Error& e) {
      return std::pair(e.code(), std::string(e.what()));
    }
    return std::pair(ErrorCode::Internal, std::string("no error"));
  };
  CHECK(error_of({{2, 3}, {}}, 64) == std::pair(ErrorCode::InvalidArgument, std::string("text 1 has 0 token ids, 1..48 allowed")));
  CHECK(error_of({std::vector<int32_t>(49, 7)}, 64).second == "text 0 has 49 token ids, 1..48 allowed");
  CHECK(error_of({{2, 300, 3}}, 64).second == "text 0: token id 300 at position 1 is outside the vocabulary [0, 300)");
  CHECK(error_of({{2, -1}}, 64).first == ErrorCode::InvalidArgument);
  CHECK(error_of({{2, 3}, {2, 3}}, 63).first == ErrorCode::BufferTooSmall);
  // Nothing written on failure.
  std::fill(out.begin(), out.end(), 5.0f);
  error_of({{2, 3}, {2, 999}}, 64);
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == 5.0f; }));
}

TEST_CASE("text model: texts to ids to embeddings on the tiny random BERT", "[text]") {
  const TextModel model(TextModelFile::open(kFixtures + "tiny_bert.invft"), kern::backend_of(kern::BackendKind::Cpu));
  CHECK(model.tokenizer().settings().max_tokens == 48);
  CHECK(model.tokenizer().pad_id() == 0);
  const nlohmann::json j = nlohmann::json::parse(read_all(kFixtures + "tiny_expected.json"));
  std::vector<std::string> texts;
  for (const auto& t : j.at("texts")) texts.push_back(t.at("text").get<std::string>());
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  const std::vector<std::vector<int32_t>> ids = model.tokenize(views);
  std::vector<float> out(texts.size() * 32);
  model.embed(views, out, 2);
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO("'" << texts[i] << "'");
    CHECK(ids[i] == j.at("texts")[i].at("ids").get<std::vector<int32_t>>());
    CHECK(cosine(std::span(out.data() + i * 32, 32), j.at("texts")[i].at("embedding").get<std::vector<double>>()) >
          1 - 1e-7);
  }
  const std::vector<std::string_view> bad = {"w1", "w2", "caf\xc3"};
  try {
    model.embed(bad, out);
    FAIL("invalid UTF-8 accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK_THAT(e.what(), Catch::StartsWith("text 2: "));
  }
}

namespace {

// The MiniLM parity set (tests/make_text_fixture.py real): texts, HF's ids, sentence-transformers'
// embeddings; empty when INVF_TEXT_MODEL is not set.
struct MinilmParity {
  std::string model_path;
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> ids;
  std::vector<float> expected;  // texts x 384

  static MinilmParity load() {
    MinilmParity p;
    const char* path = std::getenv("INVF_TEXT_MODEL");
    if (!path || !*path) {
      WARN("INVF_TEXT_MODEL is not set (scripts/fetch_text_model.sh makes the file): MiniLM parity skipped");
      return p;
    }
    p.model_path = path;
    std::istringstream texts(read_all(kFixtures + "minilm_parity_texts.txt"));
    for (std::string line; std::getline(texts, line);) p.texts.push_back(line);
    std::istringstream ids(read_all(kFixtures + "minilm_parity_ids.jsonl"));
    for (std::string line; std::getline(ids, line);)
      p.ids.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
    const std::string raw = read_all(kFixtures + "minilm_parity_embeddings.f32");
    REQUIRE(p.ids.size() >= 1000);
    REQUIRE(p.texts.size() == p.ids.size());
    REQUIRE(raw.size() == p.ids.size() * 384 * sizeof(float));
    p.expected.resize(p.ids.size() * 384);
    std::memcpy(p.expected.data(), raw.data(), raw.size());
    return p;
  }

  // The smallest cosine between out's rows and the expected ones, reported.
  double minimum_cosine(const std::vector<float>& out, const char* what) const {
    double worst = 1;
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::vector<double> want(expected.begin() + i * 384, expected.begin() + (i + 1) * 384);
      worst = std::min(worst, cosine(std::span(out.data() + i * 384, 384), want));
    }
    WARN("all-MiniLM-L6-v2 " << what << ": 1 - minimum cosine = " << std::setprecision(3) << 1 - worst << " over "
                             << ids.size() << " texts");
    return worst;
  }
};

}  // namespace

TEST_CASE("text encoder: all-MiniLM-L6-v2 matches sentence-transformers on product texts", "[text]") {
  const MinilmParity parity = MinilmParity::load();
  if (parity.model_path.empty()) return;
  const TextEncoder encoder(TextModelFile::open(parity.model_path), kern::backend_of(kern::BackendKind::Cpu));
  REQUIRE(encoder.dim() == 384);
  std::vector<float> out(parity.ids.size() * 384);
  encoder.embed(parity.ids, out);
  CHECK(parity.minimum_cosine(out, "from HF's ids") >= 0.9999);
}

TEST_CASE("text model: all-MiniLM-L6-v2 from raw product texts, ids and embeddings at parity", "[text]") {
  const MinilmParity parity = MinilmParity::load();
  if (parity.model_path.empty()) return;
  const TextModel model(TextModelFile::open(parity.model_path), kern::backend_of(kern::BackendKind::Cpu));
  const std::vector<std::string_view> views(parity.texts.begin(), parity.texts.end());
  const std::vector<std::vector<int32_t>> ids = model.tokenize(views);
  size_t different = 0;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] != parity.ids[i]) {
      UNSCOPED_INFO("ids differ for text " << i << ": '" << parity.texts[i] << "'");
      ++different;
    }
  CHECK(different == 0);
  std::vector<float> out(ids.size() * 384);
  model.embed(views, out, 0);
  CHECK(parity.minimum_cosine(out, "from the raw texts") >= 0.9999);
}
