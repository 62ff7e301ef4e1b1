// The text-model file (lib/text/text_model_file.*): the converter's file loads, C++ round trips,
// damage is named as the forecast-model loader names it, and each kind of file refuses the other.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "error.hpp"
#include "model/model_file.hpp"
#include "text/text_model_file.hpp"

using namespace invforecast;
using namespace invforecast::text;

namespace {

const std::string kFixtures = std::string(INVF_TEST_FIXTURES) + "/text/";

TextModelMetadata small_metadata() {
  TextModelMetadata m;
  m.config = {.vocab_size = 8, .hidden = 8, .layers = 1, .heads = 2, .intermediate = 16, .max_positions = 12,
              .type_vocab = 2, .layer_norm_eps = 1e-12, .max_seq_length = 10};
  m.tokenizer.vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "caf\xc3\xa9", "mug", "##s", "red"};
  m.tokenizer.added_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
  m.provenance = {{"source", "unit test"}};
  return m;
}

struct Tensors {
  std::vector<std::vector<float>> storage;
  std::vector<NamedTensor> named;
};

Tensors small_tensors(const TextModelMetadata& m) {
  Tensors t;
  const std::vector<TensorSpec> specs = text_expected_tensors(m.config);
  t.storage.reserve(specs.size());
  for (size_t s = 0; s < specs.size(); ++s) {
    size_t count = 1;
    for (int64_t d : specs[s].dims) count *= static_cast<size_t>(d);
    auto& values = t.storage.emplace_back(count);
    for (size_t i = 0; i < count; ++i) values[i] = static_cast<float>((s * 31 + i * 7) % 41) / 32.0f - 0.6f;
    t.named.push_back({specs[s].name, specs[s].dims, values});
  }
  return t;
}

std::vector<uint8_t> small_file() {
  const TextModelMetadata m = small_metadata();
  return write_text_model_buffer(m, small_tensors(m).named);
}

// Rewrites the trailing CRC-32 after a deliberate change.
void reseal(std::vector<uint8_t>& bytes) {
  const uLong crc = crc32(0, bytes.data(), static_cast<uInt>(bytes.size() - 4));
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

std::pair<ErrorCode, std::string> load_error(const std::vector<uint8_t>& bytes) {
  try {
    TextModelFile::from_buffer(bytes, BufferMode::Copy);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::Internal, "loaded"};
}

// The file with its metadata JSON replaced (same tensors, offsets rebuilt by the writer).
std::vector<uint8_t> with_metadata(const std::string& json) {
  const TextModelMetadata m = small_metadata();
  return write_container(json, text_expected_tensors(m.config), small_tensors(m).named);
}

}  // namespace

TEST_CASE("text model file: round trip through a buffer and the converter's fixture", "[text]") {
  const std::vector<uint8_t> bytes = small_file();
  const TextModelFile model = TextModelFile::from_buffer(bytes, BufferMode::Copy);
  const TextModelMetadata want = small_metadata();
  CHECK(model.config().hidden == 8);
  CHECK(model.config().max_seq_length == 10);
  CHECK(model.config().layer_norm_eps == 1e-12);
  CHECK(model.metadata().tokenizer.vocab == want.tokenizer.vocab);
  CHECK(model.metadata().tokenizer.continuing_prefix == "##");
  CHECK(model.metadata().provenance == want.provenance);
  CHECK(model.tensor("layers.0.attn.qkv.weight").dims == std::vector<int64_t>{24, 8});
  CHECK(model.tensor("layers.0.ln2.bias").values[3] == small_tensors(want).storage.back()[3]);
  CHECK_THROWS_AS(model.tensor("pooler.dense.weight"), Error);
  // The same metadata gives the same bytes.
  CHECK(small_file() == bytes);

  // scripts/convert_text_model.py's output (tests/make_text_fixture.py tiny).
  const TextModelFile tiny = TextModelFile::open(kFixtures + "tiny_bert.invft");
  CHECK(tiny.config().vocab_size == 300);
  CHECK(tiny.config().layers == 2);
  CHECK(tiny.config().heads == 4);
  CHECK(tiny.config().intermediate == 64);
  CHECK(tiny.config().max_seq_length == 48);
  CHECK(tiny.metadata().tokenizer.vocab[2] == "[CLS]");
  CHECK(tiny.metadata().tokenizer.lowercase);
  CHECK(tiny.metadata().tokenizer.strip_accents);
  CHECK(tiny.metadata().tokenizer.clean_text);
  CHECK(tiny.metadata().tokenizer.added_tokens ==
        std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"});
  // The C++ writer gives the converter's bytes for what was read (both sort the JSON keys and store
  // the tensors in the same order).
  std::vector<NamedTensor> views;
  for (const TensorSpec& spec : text_expected_tensors(tiny.config()))
    views.push_back({spec.name, spec.dims, tiny.tensor(spec.name).values});
  std::ifstream in(kFixtures + "tiny_bert.invft", std::ios::binary);
  const std::vector<uint8_t> file_bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(write_text_model_buffer(tiny.metadata(), views) == file_bytes);
}

TEST_CASE("text model file: each kind of model file refuses the other, saying what it is", "[text]") {
  try {
    TextModelFile::open(INVF_DEFAULT_MODEL);
    FAIL("a forecast model loaded as a text model");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK_THAT(e.what(), Catch::Contains(INVF_DEFAULT_MODEL) && Catch::Contains("is a forecast model file"));
  }
  try {
    ModelFile::open(kFixtures + "tiny_bert.invft");
    FAIL("a text model loaded as a forecast model");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK_THAT(e.what(), Catch::Contains("tiny_bert.invft") && Catch::Contains("is a text-encoder model file"));
  }
}

TEST_CASE("text model file: truncation, flipped bytes and non-finite values fail cleanly", "[text]") {
  const std::vector<uint8_t> bytes = small_file();
  for (size_t length : {size_t{0}, size_t{35}, bytes.size() / 2, bytes.size() - 1}) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    CHECK(load_error(cut).first == ErrorCode::CorruptModel);
  }
  for (size_t at = 0; at < bytes.size(); at += 97) {
    std::vector<uint8_t> flipped = bytes;
    flipped[at] ^= 0x10;
    INFO("byte " << at);
    CHECK(load_error(flipped).first == ErrorCode::CorruptModel);
  }
  // A NaN in the last tensor (layers.0.ln2.bias), the checksum made right again.
  std::vector<uint8_t> nan = bytes;
  const float bad = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan.data() + nan.size() - 4 - sizeof(float), &bad, sizeof bad);
  reseal(nan);
  CHECK(load_error(nan) ==
        std::pair(ErrorCode::CorruptModel, std::string("model file: tensor 'layers.0.ln2.bias' holds a non-finite value at index 7")));
}

TEST_CASE("text model file: metadata damage is named", "[text]") {
  const std::string good = text_metadata_to_json(small_metadata());
  auto patched = [&good](const std::string& from, const std::string& to) {
    std::string json = good;
    const size_t at = json.find(from);
    REQUIRE(at != std::string::npos);
    return with_metadata(json.replace(at, from.size(), to));
  };
  CHECK(load_error(with_metadata(good)).first == ErrorCode::Internal);  // loads
  const std::vector<std::pair<std::vector<uint8_t>, std::string>> cases = {
      {patched("\"hidden\":8", "\"hidden\":9"), "hidden 9 is not a multiple of heads 2"},
      {patched("\"max_seq_length\":10", "\"max_seq_length\":13"), "max_seq_length = 13 is outside [3, 12]"},
      {patched("\"pooling\":\"mean\"", "\"pooling\":\"cls\""), "'config.pooling' is 'cls', this format knows only 'mean'"},
      {patched("\"activation\":\"gelu\"", "\"activation\":\"relu\""), "'config.activation' is 'relu'"},
      {patched("\"normalize\":true", "\"normalize\":false"), "config.normalize is false"},
      {patched("\"vocab\":[\"[PAD]\"", "\"vocab\":[\"mug\""), "vocabulary entry 5 'mug' appears twice"},
      {patched("\"pad\":\"[PAD]\"", "\"pad\":\"<pad>\""), "the pad token '<pad>' is not in the vocabulary"},
      {patched("\"[SEP]\"]", "\"[MASK]\"]"), "the added token '[MASK]' is not in the vocabulary"},
      {patched("\"clean_text\":true", "\"clean_text\":1"), "'tokenizer.clean_text' must be true or false"},
      {patched("\"vocab_size\":8", "\"vocab_size\":9"), "'tokenizer.vocab' must be an array of vocab_size (9) strings"},
      {patched("\"layers\":1,", ""), "missing field 'config.layers'"},
      {patched("\"heads\":2", "\"heads\":2.5"), "'config.heads' must be an integer"},
      {patched("\"architecture\":\"bert_sentence_encoder\"", "\"architecture\":\"gpt\""),
       "'config.architecture' is 'gpt'"},
      {with_metadata("[1, 2]"), "'metadata' must be an object"},
      {with_metadata("{not json"), "not valid JSON"},
  };
  for (const auto& [bytes, message] : cases) {
    INFO(message);
    const auto [code, what] = load_error(bytes);
    CHECK(code == ErrorCode::CorruptModel);
    CHECK_THAT(what, Catch::Contains(message));
  }
  // A config whose tensors differ from the file's: the shape is named.
  TextModelMetadata wider = small_metadata();
  wider.config.intermediate = 20;
  const auto [code, what] = load_error(with_metadata(text_metadata_to_json(wider)));
  CHECK(code == ErrorCode::CorruptModel);
  CHECK_THAT(what, Catch::Contains("tensor 'layers.0.ffn1.weight' has shape [16, 8], expected [20, 8]"));
}

TEST_CASE("text model file: the writer refuses what it cannot store", "[text]") {
  TextModelMetadata m = small_metadata();
  Tensors t = small_tensors(m);
  t.storage[0][3] = INFINITY;
  CHECK_THROWS_WITH(write_text_model_buffer(m, t.named), Catch::Contains("'token_embed' holds a non-finite value"));
  m.tokenizer.vocab.pop_back();
  try {
    write_text_model_buffer(m, small_tensors(small_metadata()).named);
    FAIL("wrote a vocabulary shorter than vocab_size");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
  }
}
