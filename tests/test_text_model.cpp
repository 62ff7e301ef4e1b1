// A whole text model (lib/text/text_model.*): texts to token ids to embeddings, on the tiny random
// BERT's fixture texts and, when INVF_TEXT_MODEL names the converted file, on all-MiniLM-L6-v2 from
// the raw product texts: identical token ids to Hugging Face's and sentence-transformers' embeddings.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "error.hpp"
#include "text/text_model.hpp"

using namespace invforecast;
using namespace invforecast::text;

namespace {

const std::string kFixtures = std::string(INVF_TEST_FIXTURES) + "/text/";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

double cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

}  // namespace

TEST_CASE("text model: texts to ids to embeddings on the tiny random BERT", "[text]") {
  const TextModel model(TextModelFile::open(kFixtures + "tiny_bert.invft"),
                        kernels::backend_of(kernels::BackendKind::Cpu));
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
    const std::vector<float> want = j.at("texts")[i].at("embedding").get<std::vector<float>>();
    CHECK(cosine(out.data() + i * 32, want.data(), 32) > 1 - 1e-7);
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

TEST_CASE("text model: all-MiniLM-L6-v2 from raw product texts, ids and embeddings at parity", "[text]") {
  const char* path = std::getenv("INVF_TEXT_MODEL");
  if (!path || !*path) {
    WARN("INVF_TEXT_MODEL is not set (scripts/fetch_text_model.sh makes the file): MiniLM parity skipped");
    return;
  }
  const std::vector<std::string> texts = lines_of(read_all(kFixtures + "minilm_parity_texts.txt"));
  const std::vector<std::string> id_lines = lines_of(read_all(kFixtures + "minilm_parity_ids.jsonl"));
  const std::string raw = read_all(kFixtures + "minilm_parity_embeddings.f32");
  REQUIRE(texts.size() == id_lines.size());
  REQUIRE(raw.size() == texts.size() * 384 * sizeof(float));
  std::vector<float> expected(texts.size() * 384);
  std::memcpy(expected.data(), raw.data(), raw.size());

  const TextModel model(TextModelFile::open(path), kernels::backend_of(kernels::BackendKind::Cpu));
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  const std::vector<std::vector<int32_t>> ids = model.tokenize(views);
  size_t different = 0;
  for (size_t i = 0; i < texts.size(); ++i)
    if (ids[i] != nlohmann::json::parse(id_lines[i]).get<std::vector<int32_t>>()) {
      UNSCOPED_INFO("ids differ for text " << i << ": '" << texts[i] << "'");
      ++different;
    }
  CHECK(different == 0);
  std::vector<float> out(texts.size() * 384);
  model.embed(views, out, 0);
  double worst = 1;
  for (size_t i = 0; i < texts.size(); ++i)
    worst = std::min(worst, cosine(out.data() + i * 384, expected.data() + i * 384, 384));
  WARN("all-MiniLM-L6-v2 from text: 1 - minimum cosine = " << std::setprecision(3) << 1 - worst << " over "
                                                          << texts.size() << " texts");
  CHECK(worst >= 0.9999);
}
