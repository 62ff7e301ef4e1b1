// Text models through the C ABI: loading from a path and from memory, token ids and embeddings of
// texts against transformers' (the tiny random BERT of tests/make_text_fixture.py), batch
// independence, and every bad input: NULLs, small buffers, invalid UTF-8, a forecast model given
// as a text model (and the reverse), damaged files, out-parameters untouched on failure.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "capi_support.hpp"
#include "invforecast.hpp"

namespace {

using TextModelHandle = Owned<invf_text_model, invf_text_model_release>;

std::string tiny_path() { return fixture("text/tiny_bert.invft"); }

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

struct TinyText {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<double> embedding;
};

std::vector<TinyText> tiny_texts() {
  std::ifstream in(fixture("text/tiny_expected.json"));
  REQUIRE(in.good());
  const nlohmann::json j = nlohmann::json::parse(in);
  std::vector<TinyText> texts;
  for (const auto& t : j.at("texts"))
    texts.push_back({t.at("text").get<std::string>(), t.at("ids").get<std::vector<int32_t>>(),
                     t.at("embedding").get<std::vector<double>>()});
  return texts;
}

// max |got - want| / max |want| over one embedding.
double relative_error(const float* got, const std::vector<double>& want) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::abs(got[i] - want[i]));
    ref = std::max(ref, std::abs(want[i]));
  }
  return diff / ref;
}

}  // namespace

TEST_CASE("capi text: texts to token ids and embeddings as transformers computes them", "[capi][text]") {
  TextModelHandle model;
  REQUIRE_OK(invf_text_model_load(tiny_path().c_str(), nullptr, &model.raw));
  uint64_t dim = 0, max_tokens = 0;
  REQUIRE_OK(invf_text_model_dim(model.raw, &dim));
  REQUIRE_OK(invf_text_model_max_tokens(model.raw, &max_tokens));
  CHECK(dim == 32);
  CHECK(max_tokens == 48);

  const std::vector<TinyText> texts = tiny_texts();
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const TinyText& t : texts) {
    std::vector<int32_t> ids(max_tokens);
    size_t count = 0;
    REQUIRE_OK(invf_text_model_tokenize(model.raw, t.text.data(), t.text.size(), ids.data(), ids.size(), &count));
    ids.resize(count);
    INFO("'" << t.text << "'");
    CHECK(ids == t.ids);
    pointers.push_back(t.text.c_str());
    lengths.push_back(t.text.size());
  }
  // Against transformers in float64: the tolerance of tests/test_text_encoder.cpp.
  std::vector<float> out(texts.size() * dim);
  REQUIRE_OK(invf_text_model_embed(model.raw, pointers.data(), lengths.data(), texts.size(), out.data(), out.size()));
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO("'" << texts[i].text << "'");
    CHECK(relative_error(out.data() + i * dim, texts[i].embedding) < 1e-5);
  }
  // NUL-terminated texts (lengths NULL), one at a time: the same floats up to rounding.
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> alone(dim);
    REQUIRE_OK(invf_text_model_embed(model.raw, &pointers[i], nullptr, 1, alone.data(), alone.size()));
    for (size_t d = 0; d < dim; ++d) CHECK(std::abs(alone[d] - out[i * dim + d]) < 1e-6);
  }

  // From memory, through the C++ wrapper, on the reference backend.
  const std::vector<unsigned char> bytes = read_bytes(tiny_path());
  invf::Options options;
  options.set("backend", "reference");
  const invf::TextModel copy = invf::TextModel::load_buffer(bytes.data(), bytes.size(), &options);
  const std::vector<float> again = copy.embed({texts[0].text, texts[1].text});
  CHECK(relative_error(again.data(), texts[0].embedding) < 1e-5);
  CHECK(relative_error(again.data() + dim, texts[1].embedding) < 1e-5);
  CHECK(copy.tokenize(texts[2].text) == texts[2].ids);
}

TEST_CASE("capi text: one handle embeds on several threads at once, each result as alone", "[capi][text]") {
  TextModelHandle model;
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "threads", "2"));
  REQUIRE_OK(invf_text_model_load(tiny_path().c_str(), options, &model.raw));
  invf_options_release(options);
  // 40 texts: more than one internal batch of 32, so each call spreads over 2 workers too.
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back("w" + std::to_string(i) + " w" + std::to_string(i * 7 % 200) + "s3");
  std::vector<const char*> pointers;
  for (const std::string& t : texts) pointers.push_back(t.c_str());
  std::vector<float> want(texts.size() * 32);
  REQUIRE_OK(invf_text_model_embed(model.raw, pointers.data(), nullptr, texts.size(), want.data(), want.size()));
  std::vector<std::vector<float>> got(4, std::vector<float>(want.size()));
  std::vector<invf_code> codes(4, INVF_OK);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      invf_status* status =
          invf_text_model_embed(model.raw, pointers.data(), nullptr, texts.size(), got[t].data(), got[t].size());
      codes[t] = invf_status_code(status);
      invf_status_release(status);
    });
  for (std::thread& t : threads) t.join();
  for (size_t t = 0; t < got.size(); ++t) {
    CHECK(codes[t] == INVF_OK);
    CHECK(got[t] == want);  // the same batches on any thread: the same floats
  }
}

TEST_CASE("capi text: bad input gets a clear status and leaves the out-parameters alone", "[capi][text]") {
  TextModelHandle model;
  REQUIRE_OK(invf_text_model_load(tiny_path().c_str(), nullptr, &model.raw));
  std::vector<float> out(64, 7.0f);
  const char* texts[] = {"w1 w2", nullptr};
  const size_t lengths[] = {5, 0};

  REQUIRE_FAILS(invf_text_model_embed(nullptr, texts, lengths, 1, out.data(), out.size()), INVF_ERR_NULL_POINTER,
                "'model'");
  REQUIRE_FAILS(invf_text_model_embed(model.raw, nullptr, lengths, 1, out.data(), out.size()), INVF_ERR_NULL_POINTER,
                "'texts'");
  REQUIRE_FAILS(invf_text_model_embed(model.raw, texts, lengths, 1, nullptr, 32), INVF_ERR_NULL_POINTER, "'out'");
  REQUIRE_FAILS(invf_text_model_embed(model.raw, texts, lengths, 2, out.data(), out.size()), INVF_ERR_NULL_POINTER,
                "'texts[1]'");
  REQUIRE_FAILS(invf_text_model_embed(model.raw, texts, lengths, 1, out.data(), 31), INVF_ERR_BUFFER_TOO_SMALL,
                "needs 32");
  // Invalid UTF-8: a stray continuation byte in the second text, named with its offset.
  const char* bad[] = {"w1", "w2 \x80 w3"};
  REQUIRE_FAILS(invf_text_model_embed(model.raw, bad, nullptr, 2, out.data(), out.size()), INVF_ERR_INVALID_ARGUMENT,
                "text 1: ");
  REQUIRE_FAILS(invf_text_model_embed(model.raw, bad, nullptr, 2, out.data(), out.size()), INVF_ERR_INVALID_ARGUMENT,
                "byte 3");
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == 7.0f; }));
  REQUIRE_OK(invf_text_model_embed(model.raw, nullptr, nullptr, 0, nullptr, 0));

  int32_t ids[4] = {-5, -5, -5, -5};
  size_t count = 99;
  REQUIRE_FAILS(invf_text_model_tokenize(model.raw, "w1 w2 w3", 8, ids, 4, &count), INVF_ERR_BUFFER_TOO_SMALL,
                "needs 5");
  CHECK(count == 99);
  CHECK(ids[0] == -5);
  REQUIRE_OK(invf_text_model_tokenize(model.raw, "w1 w2 w3", 8, nullptr, 0, &count));
  CHECK(count == 5);
  REQUIRE_FAILS(invf_text_model_tokenize(model.raw, "w1", 2, nullptr, 3, &count), INVF_ERR_NULL_POINTER, "'ids'");
  REQUIRE_FAILS(invf_text_model_tokenize(model.raw, "w1", 2, ids, 4, nullptr), INVF_ERR_NULL_POINTER, "'count'");
  REQUIRE_FAILS(invf_text_model_tokenize(model.raw, nullptr, 0, ids, 4, &count), INVF_ERR_NULL_POINTER, "'text'");
  REQUIRE_FAILS(invf_text_model_tokenize(model.raw, "\xc3", 1, ids, 4, &count), INVF_ERR_INVALID_ARGUMENT, "UTF-8");
  uint64_t dim = 0;
  REQUIRE_FAILS(invf_text_model_dim(nullptr, &dim), INVF_ERR_NULL_POINTER, "'model'");
  REQUIRE_FAILS(invf_text_model_dim(model.raw, nullptr), INVF_ERR_NULL_POINTER, "'out'");
  REQUIRE_FAILS(invf_text_model_max_tokens(model.raw, nullptr), INVF_ERR_NULL_POINTER, "'out'");
  invf_text_model_release(nullptr);
}

TEST_CASE("capi text: loading refuses other kinds of files and damaged ones", "[capi][text]") {
  invf_text_model* text = reinterpret_cast<invf_text_model*>(0x1);
  REQUIRE_FAILS(invf_text_model_load(INVF_DEFAULT_MODEL, nullptr, &text), INVF_ERR_INVALID_ARGUMENT,
                "is a forecast model file");
  CHECK(text == reinterpret_cast<invf_text_model*>(0x1));
  invf_model* forecast = nullptr;
  REQUIRE_FAILS(invf_model_load(tiny_path().c_str(), nullptr, &forecast), INVF_ERR_INVALID_ARGUMENT,
                "is a text-encoder model file");
  CHECK(forecast == nullptr);
  REQUIRE_FAILS(invf_text_model_load("/nonexistent/text.invft", nullptr, &text), INVF_ERR_IO, "/nonexistent/text.invft");
  REQUIRE_FAILS(invf_text_model_load(nullptr, nullptr, &text), INVF_ERR_NULL_POINTER, "'path'");
  REQUIRE_FAILS(invf_text_model_load(tiny_path().c_str(), nullptr, nullptr), INVF_ERR_NULL_POINTER, "'out'");
  REQUIRE_FAILS(invf_text_model_load_buffer(nullptr, 10, nullptr, &text), INVF_ERR_NULL_POINTER, "'data'");

  std::vector<unsigned char> bytes = read_bytes(tiny_path());
  const std::vector<unsigned char> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 3));
  REQUIRE_FAILS(invf_text_model_load_buffer(cut.data(), cut.size(), nullptr, &text), INVF_ERR_CORRUPT_MODEL,
                "model file");
  bytes[bytes.size() / 2] ^= 0x40;
  REQUIRE_FAILS(invf_text_model_load_buffer(bytes.data(), bytes.size(), nullptr, &text), INVF_ERR_CORRUPT_MODEL,
                "checksum");
  // A tensor dimension raised, the checksum made right: the shape is named.
  bytes[bytes.size() / 2] ^= 0x40;
  const std::string json(reinterpret_cast<const char*>(bytes.data()) + 32, 4000);
  const size_t at = json.find("\"intermediate\":64");
  REQUIRE(at != std::string::npos);
  std::memcpy(bytes.data() + 32 + at, "\"intermediate\":65", 17);
  const uLong crc = crc32(0L, bytes.data(), static_cast<uInt>(bytes.size() - 4));
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<unsigned char>(crc >> (8 * i));
  REQUIRE_FAILS(invf_text_model_load_buffer(bytes.data(), bytes.size(), nullptr, &text), INVF_ERR_CORRUPT_MODEL,
                "tensor 'layers.0.ffn1.weight' has shape [64, 32], expected [65, 32]");
  // An option of another call's domain is refused, naming the key.
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "duplicates", "sum"));
  REQUIRE_FAILS(invf_text_model_load(tiny_path().c_str(), options, &text), INVF_ERR_INVALID_ARGUMENT, "duplicates");
  invf_options_release(options);
  CHECK(text == reinterpret_cast<invf_text_model*>(0x1));
}
