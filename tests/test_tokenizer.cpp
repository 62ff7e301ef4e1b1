// The WordPiece tokenizer (lib/text): each rule of BERT's basic tokenizer and
// of WordPiece on a small vocabulary made here, invalid UTF-8, truncation,
// tokenizer.json's error paths, and the ids Hugging Face `tokenizers` gives
// (tests/make_tokenizer_fixture.py): tiny vocabularies always, the real
// all-MiniLM-L6-v2 one when INVF_TEXT_MODEL_DIR holds its tokenizer.json,
// every code point when INVF_TOKENIZER_CODE_POINTS names the script's
// --code-points folder.
#include <utf8proc.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "error.hpp"
#include "error_matchers.hpp"
#include "io/mapped_file.hpp"
#include "test_files.hpp"
#include "text/tokenizer.hpp"

using namespace invforecast;
using invforecast::testing::check_error;
using invforecast::testing::fails_with;
using nlohmann::json;
using text::TokenizerSettings;
using text::WordPieceTokenizer;
using Tokens = std::vector<std::string>;
using namespace std::string_literals;

namespace {

const Tokens kVocab = {
    "[PAD]", "[UNK]",  "[CLS]", "[SEP]", "[MASK]", "a",    "b",    "c", "ab",      "abc",
    "x",     "y",      "##y",   "hello", "world",  ",",    "!",    "$", "^",       "[",
    "]",     "中",     "文",    "##文",  "cafe",   "café", "Cafe", "i", "i\u0307", "un",
    "##aff", "##able", "run",   "runn",  "##ing",  "##s",  "##a",  "é", "##é",
};

WordPieceTokenizer make(TokenizerSettings settings = {}) { return WordPieceTokenizer(kVocab, settings); }

// The tokens of `text`'s ids, [CLS] and [SEP] included.
Tokens pieces(const WordPieceTokenizer& tokenizer, std::string_view text) {
  Tokens out;
  for (const int32_t id : tokenizer.encode(text))
    out.push_back(tokenizer.vocab().at(static_cast<size_t>(id)));
  return out;
}

Tokens wrapped(Tokens words) {
  words.insert(words.begin(), "[CLS]");
  words.push_back("[SEP]");
  return words;
}

std::string fixture(const std::string& name) { return std::string(INVF_TEST_FIXTURES) + "/text/" + name; }

// A minimal tokenizer.json over kVocab, as `tokenizers` writes one.
json minimal_json() {
  json vocab = json::object();
  for (size_t i = 0; i < kVocab.size(); ++i) vocab[kVocab[i]] = i;
  json added = json::array();
  for (const char* token : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    added.push_back({{"id", std::find(kVocab.begin(), kVocab.end(), token) - kVocab.begin()},
                     {"content", token},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer",
       {{"type", "BertNormalizer"},
        {"clean_text", true},
        {"handle_chinese_chars", true},
        {"strip_accents", nullptr},
        {"lowercase", true}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", json::array({{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
                                {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}})},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {3}}, {"tokens", {"[SEP]"}}}}}}}},
      {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"model",
       {{"type", "WordPiece"},
        {"unk_token", "[UNK]"},
        {"continuing_subword_prefix", "##"},
        {"max_input_chars_per_word", 100},
        {"vocab", vocab}}},
  };
}

// Each line of a fixture: {"text": T, "ids": {TOKENIZER: [ids]}}.
std::vector<json> read_fixture(const std::string& path) {
  io::TextFile file(path, "tokenizer fixture");
  std::vector<json> lines;
  std::istringstream in{std::string(file.text())};
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// The fixture lines whose ids for `name` `tokenizer` reproduces exactly.
size_t matching(const WordPieceTokenizer& tokenizer, const std::vector<json>& lines,
                const std::string& name) {
  size_t same = 0;
  for (const json& line : lines) {
    const auto text = line.at("text").get<std::string>();
    const auto want = line.at("ids").at(name).get<std::vector<int32_t>>();
    const auto got = tokenizer.encode(text);
    if (got == want) {
      ++same;
    } else {
      INFO(name << ": " << json(text).dump() << "\n  want " << json(want).dump() << "\n  got  "
                << json(got).dump());
      CHECK(got == want);
    }
  }
  return same;
}

}  // namespace

TEST_CASE("Tokenizer: clean-up drops controls and turns whitespace into splits", "[tokenizer]") {
  const auto t = make();
  // U+0000, U+FFFD, Cc (BEL, NEL), Cf (zero-width space, soft hyphen), Co (private use).
  for (const std::string& text : {"a\0b"s,
                                  "a\xEF\xBF\xBD"
                                  "b"s,
                                  "a\x07"
                                  "b"s,
                                  "a\xC2\x85"
                                  "b"s,
                                  "a\xE2\x80\x8B"
                                  "b"s,
                                  "a\xC2\xAD"
                                  "b"s,
                                  "a\xEE\x80\x80"
                                  "b"s}) {
    INFO(json(text).dump());
    CHECK(pieces(t, text) == wrapped({"ab"}));
  }
  // Tab, newlines, no-break, ideographic and line separator spaces split.
  for (const char* split : {"a\tb", "a\nb", "a\r\nb",
                            "a\xC2\xA0"
                            "b",
                            "a\xE3\x80\x80"
                            "b",
                            "a\xE2\x80\xA8"
                            "b",
                            "  a   b  "})
    CHECK(pieces(t, split) == wrapped({"a", "b"}));
  // An unassigned code point (U+0378) is kept, so its word is unknown.
  CHECK(pieces(t,
               "a\xCD\xB8"
               "b") == wrapped({"[UNK]"}));
  // Without clean-up, a control character stays in its word; whitespace still splits.
  TokenizerSettings raw;
  raw.clean_text = false;
  CHECK(pieces(make(raw),
               "a\x07"
               "b") == wrapped({"[UNK]"}));
  CHECK(pieces(make(raw), "a\tb") == wrapped({"a", "b"}));
}

TEST_CASE("Tokenizer: CJK ideographs become words of their own", "[tokenizer]") {
  const auto t = make();
  CHECK(pieces(t, "中文") == wrapped({"中", "文"}));
  CHECK(pieces(t, "x中y") == wrapped({"x", "中", "y"}));
  // A compatibility ideograph (U+F900) is spaced, then decomposed to U+8C48.
  CHECK(pieces(t,
               "a\xEF\xA4\x80"
               "b") == wrapped({"a", "[UNK]", "b"}));
  // Hangul is not in the CJK ideograph blocks: one word.
  CHECK(pieces(t, "a한b") == wrapped({"[UNK]"}));
  TokenizerSettings joined;
  joined.split_cjk = false;
  CHECK(pieces(make(joined), "中文") == wrapped({"中", "##文"}));
}

TEST_CASE("Tokenizer: lower case and accents stripped through NFD", "[tokenizer]") {
  const auto t = make();
  CHECK(pieces(t, "CAFÉ") == wrapped({"cafe"}));
  CHECK(pieces(t, "Cafe\xCC\x81") == wrapped({"cafe"}));  // e + combining acute
  CHECK(pieces(t, "HELLO WORLD") == wrapped({"hello", "world"}));
  TokenizerSettings accents;
  accents.strip_accents = false;
  CHECK(pieces(make(accents), "CAFÉ") == wrapped({"café"}));
  // İ lower-cases to i and a combining dot above (Rust's to_lowercase, as `tokenizers`).
  CHECK(pieces(make(accents), "İ") == wrapped({"i\u0307"}));
  CHECK(pieces(t, "İ") == wrapped({"i"}));  // NFD: I and the dot, which is dropped
  TokenizerSettings cased;
  cased.lowercase = false;
  cased.strip_accents = false;
  CHECK(pieces(make(cased), "CAFÉ") == wrapped({"[UNK]"}));
  CHECK(pieces(make(cased), "café") == wrapped({"café"}));
  TokenizerSettings stripped_cased;
  stripped_cased.lowercase = false;
  CHECK(pieces(make(stripped_cased), "Café") == wrapped({"Cafe"}));
}

TEST_CASE("Tokenizer: punctuation is split off, ASCII symbols included", "[tokenizer]") {
  const auto t = make();
  CHECK(pieces(t, "hello,world!") == wrapped({"hello", ",", "world", "!"}));
  CHECK(pieces(t, "a$b^c") == wrapped({"a", "$", "b", "^", "c"}));  // $ and ^ are ASCII punctuation
  CHECK(pieces(t, "[a]") == wrapped({"[", "a", "]"}));
  // Unicode punctuation (Pi, Pf, Pd) splits too; a currency sign (Sc) does not.
  CHECK(pieces(t, "a«b»c") == wrapped({"a", "[UNK]", "b", "[UNK]", "c"}));
  CHECK(pieces(t,
               "a\xE2\x80\x94"
               "b") == wrapped({"a", "[UNK]", "b"}));
  CHECK(pieces(t, "a£b") == wrapped({"[UNK]"}));
}

TEST_CASE("Tokenizer: greedy longest-match WordPiece", "[tokenizer]") {
  const auto t = make();
  CHECK(pieces(t, "unaffable") == wrapped({"un", "##aff", "##able"}));
  CHECK(pieces(t, "running") == wrapped({"runn", "##ing"}));  // runn before run
  CHECK(pieces(t, "runs") == wrapped({"run", "##s"}));
  CHECK(pieces(t, "abc ab") == wrapped({"abc", "ab"}));
  // A word with a rest nothing matches is one [UNK], its matched pieces dropped.
  CHECK(pieces(t, "unaffablez hello") == wrapped({"[UNK]", "hello"}));
  CHECK(pieces(t, "xyy") == wrapped({"x", "##y", "##y"}));
  CHECK(pieces(t, "yx") == wrapped({"[UNK]"}));  // no ##x
}

TEST_CASE("Tokenizer: a word longer than max_input_chars_per_word is [UNK]", "[tokenizer]") {
  const auto t = make();
  Tokens hundred(100, "##a");
  hundred.front() = "a";
  CHECK(pieces(t, std::string(100, 'a')) == wrapped(hundred));
  CHECK(pieces(t, std::string(101, 'a')) == wrapped({"[UNK]"}));
  // Characters, not bytes: four two-byte é make four characters.
  TokenizerSettings four;
  four.max_input_chars_per_word = 4;
  four.strip_accents = false;
  CHECK(pieces(make(four), "éééé") == wrapped({"é", "##é", "##é", "##é"}));
  CHECK(pieces(make(four), "ééééé") == wrapped({"[UNK]"}));
  // Counted after normalisation: a + combining acute is one character once stripped.
  four.strip_accents = true;
  CHECK(pieces(make(four),
               "aa\xCC\x81"
               "a\xCC\x81"
               "a\xCC\x81") == wrapped({"a", "##a", "##a", "##a"}));
}

TEST_CASE("Tokenizer: added tokens are matched verbatim before normalisation", "[tokenizer]") {
  TokenizerSettings settings;
  settings.added_tokens = {"[MASK]", "[CLS]", "ab", "abc"};
  const auto t = make(settings);
  CHECK(pieces(t, "x[MASK]y") == wrapped({"x", "[MASK]", "y"}));
  CHECK(pieces(t, "[CLS] hello") == wrapped({"[CLS]", "hello"}));
  // Case matters (no lower-casing first); elsewhere brackets are punctuation.
  CHECK(pieces(t, "[mask]") == wrapped({"[", "[UNK]", "]"}));
  // Leftmost, then longest: "abc" over "ab".
  CHECK(pieces(t, "xabcx") == wrapped({"x", "abc", "x"}));
  CHECK(pieces(t, "yabx") == wrapped({"y", "ab", "x"}));
  // Without added tokens the same text goes through the basic tokenizer.
  CHECK(pieces(make(), "x[MASK]y") == wrapped({"x", "[", "[UNK]", "]", "y"}));
}

TEST_CASE("Tokenizer: the empty string, and truncation keeping [CLS] and [SEP]", "[tokenizer]") {
  const auto t = make();
  CHECK(pieces(t, "") == wrapped({}));
  CHECK(pieces(t, " \t\n") == wrapped({}));
  CHECK(t.encode("") == std::vector<int32_t>{t.cls_id(), t.sep_id()});

  TokenizerSettings five;
  five.max_tokens = 5;
  CHECK(pieces(make(five), "a b c a b") == Tokens{"[CLS]", "a", "b", "c", "[SEP]"});
  CHECK(pieces(make(five), "a b c") == Tokens{"[CLS]", "a", "b", "c", "[SEP]"});
  CHECK(pieces(make(five), "un unaffable") ==
        Tokens{"[CLS]", "un", "un", "##aff", "[SEP]"});  // cut inside a word
  five.added_tokens = {"[MASK]"};
  CHECK(pieces(make(five), "a b c[MASK]") == Tokens{"[CLS]", "a", "b", "c", "[SEP]"});
  CHECK(pieces(make(five), "a b[MASK]c") == Tokens{"[CLS]", "a", "b", "[MASK]", "[SEP]"});
  TokenizerSettings two;
  two.max_tokens = 2;
  CHECK(pieces(make(two), "hello world") == Tokens{"[CLS]", "[SEP]"});

  // The default: 256 ids, 254 of them the text's.
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "hello ";
  const auto ids = t.encode(long_text);
  REQUIRE(ids.size() == 256);
  CHECK(ids.front() == t.cls_id());
  CHECK(ids.back() == t.sep_id());
  CHECK(std::count(ids.begin(), ids.end(), ids[1]) == 254);
}

TEST_CASE("Tokenizer: invalid UTF-8 is refused naming the byte", "[tokenizer]") {
  const auto t = make();
  const std::pair<std::string, const char*> cases[] = {
      {"ab\xC3", "byte 2"},          // truncated two-byte sequence
      {"a\xE2\x82", "byte 1"},       // truncated three-byte sequence
      {"\xC0\xAF", "byte 0"},        // overlong '/'
      {"x\xE0\x80\xAF", "byte 1"},   // overlong three-byte
      {"ab\xED\xA0\x80", "byte 2"},  // surrogate U+D800
      {"\x80", "byte 0"},            // bare continuation byte
      {"abc\xBF"
       "def",
       "byte 3"},                      // continuation byte inside text
      {"\xF4\x90\x80\x80", "byte 0"},  // above U+10FFFF
      {"\xFF", "byte 0"},
  };
  for (const auto& [bytes, where] : cases) {
    INFO(json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end())).dump());
    check_error([&] { t.encode(bytes); }, ErrorCode::InvalidArgument,
                std::string("UTF-8 at ") + where + " (");
  }
  // Also far past the truncation point, and inside an added token's text.
  TokenizerSettings settings;
  settings.max_tokens = 3;
  settings.added_tokens = {"[MASK]"};
  check_error([&] { make(settings).encode("a b c d [MASK]\xC3"); }, ErrorCode::InvalidArgument,
              "UTF-8 at byte 14 (");
}

TEST_CASE("Tokenizer: a bad vocabulary or settings are refused", "[tokenizer]") {
  auto build = [](Tokens vocab, TokenizerSettings settings) {
    WordPieceTokenizer(std::move(vocab), settings);
  };
  check_error([&] { build({}, {}); }, ErrorCode::InvalidArgument, "vocabulary is empty");
  Tokens twice = kVocab;
  twice.push_back("hello");
  check_error([&] { build(twice, {}); }, ErrorCode::InvalidArgument,
              fmt::format("lists 'hello' twice (ids 13 and {})", kVocab.size()));
  for (const char* special : {"[UNK]", "[CLS]", "[SEP]", "[PAD]"}) {
    Tokens missing = kVocab;
    std::erase(missing, special);
    check_error([&] { build(missing, {}); }, ErrorCode::InvalidArgument,
                std::string("'") + special + "' is not in the vocabulary");
  }
  TokenizerSettings added;
  added.added_tokens = {"<mask>"};
  check_error([&] { build(kVocab, added); }, ErrorCode::InvalidArgument, "added token '<mask>'");
  added.added_tokens = {"[\xC3"};
  check_error([&] { build(kVocab, added); }, ErrorCode::InvalidArgument,
              "an added token is not valid UTF-8 at byte 1 (0xC3");
  added.added_tokens = {""};
  check_error([&] { build(kVocab, added); }, ErrorCode::InvalidArgument, "an added token is empty");
  TokenizerSettings one;
  one.max_tokens = 1;
  check_error([&] { build(kVocab, one); }, ErrorCode::InvalidArgument, "max_tokens 1");
  TokenizerSettings negative;
  negative.max_input_chars_per_word = -1;
  check_error([&] { build(kVocab, negative); }, ErrorCode::InvalidArgument, "max_input_chars_per_word -1");
  TokenizerSettings renamed;
  renamed.unk = "<unk>";
  check_error([&] { build(kVocab, renamed); }, ErrorCode::InvalidArgument, "unk token '<unk>'");
}

TEST_CASE("Tokenizer: tokenizer.json's settings are read", "[tokenizer]") {
  const auto t = WordPieceTokenizer::from_tokenizer_json(minimal_json().dump());
  CHECK(t.vocab() == kVocab);
  CHECK(t.cls_id() == 2);
  CHECK(t.sep_id() == 3);
  CHECK(t.unk_id() == 1);
  CHECK(t.pad_id() == 0);
  CHECK(t.settings().lowercase);
  CHECK(t.settings().strip_accents);  // null: as lowercase
  CHECK(t.settings().added_tokens == Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"});
  CHECK(t.settings().max_tokens == 256);
  CHECK(pieces(t, "x[MASK]Café") == wrapped({"x", "[MASK]", "cafe"}));

  json j = minimal_json();
  j["normalizer"]["strip_accents"] = false;
  j["normalizer"]["clean_text"] = false;
  j["normalizer"]["handle_chinese_chars"] = false;
  j["model"]["max_input_chars_per_word"] = 7;
  j["model"]["continuing_subword_prefix"] = "@@";
  j["padding"] = {{"pad_token", "[MASK]"}, {"pad_id", 4}};
  const auto u = WordPieceTokenizer::from_tokenizer_json(j.dump());
  CHECK_FALSE(u.settings().strip_accents);
  CHECK_FALSE(u.settings().clean_text);
  CHECK_FALSE(u.settings().split_cjk);
  CHECK(u.settings().max_input_chars_per_word == 7);
  CHECK(u.settings().continuing_prefix == "@@");
  CHECK(u.pad_id() == 4);
  CHECK(pieces(u, "unaffable") == wrapped({"[UNK]"}));  // no @@aff

  j = minimal_json();
  j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}};
  j["added_tokens"] = json::array();
  const auto v = WordPieceTokenizer::from_tokenizer_json(j.dump());
  CHECK(v.cls_id() == 2);
  CHECK(v.settings().added_tokens.empty());
}

TEST_CASE("Tokenizer: a malformed or foreign tokenizer.json is refused naming the field", "[tokenizer]") {
  auto refused = [](const json& j, ErrorCode code, const std::string& fragment) {
    check_error([&] { WordPieceTokenizer::from_tokenizer_json(j.dump()); }, code, fragment);
  };
  const auto corrupt = ErrorCode::CorruptModel;
  const auto foreign = ErrorCode::InvalidArgument;
  check_error([] { WordPieceTokenizer::from_tokenizer_json("{\"model\": "); }, corrupt, "is not JSON");
  refused(json::array(), corrupt, "not a JSON object");

  using Edit = std::function<void(json&)>;
  const std::vector<std::tuple<Edit, ErrorCode, std::string>> cases = {
      {[](json& j) { j.erase("model"); }, corrupt, "tokenizer.json: model is missing"},
      {[](json& j) { j["model"]["type"] = "BPE"; }, foreign, "model is BPE, not a WordPiece"},
      {[](json& j) { j["model"].erase("type"); }, foreign, "model is untyped"},
      {[](json& j) { j["model"]["vocab"] = json::array(); }, corrupt, "model.vocab is not an object"},
      {[](json& j) { j["model"]["vocab"]["hello"] = 99; }, corrupt,
       fmt::format("gives 'hello' the id 99, outside 0..{}", kVocab.size() - 1)},
      {[](json& j) { j["model"]["vocab"]["hello"] = -1; }, corrupt, "the id -1"},
      {[](json& j) { j["model"]["vocab"]["hello"] = 1.5; }, corrupt, "the id 1.5"},
      {[](json& j) { j["model"]["vocab"]["hello"] = 14; }, corrupt, "gives the id 14 to"},
      {[](json& j) { j["model"].erase("unk_token"); }, corrupt, "model.unk_token is missing"},
      {[](json& j) { j["model"]["unk_token"] = 1; }, corrupt, "model.unk_token is number, not a string"},
      {[](json& j) { j["model"]["max_input_chars_per_word"] = "100"; }, corrupt, "is string, not an integer"},
      {[](json& j) { j["model"]["max_input_chars_per_word"] = -2; }, corrupt, "max_input_chars_per_word -2"},
      {[](json& j) { j["model"].erase("continuing_subword_prefix"); }, corrupt, "continuing_subword_prefix"},
      {[](json& j) { j["normalizer"] = nullptr; }, foreign, "normalizer is null, not a BertNormalizer"},
      {[](json& j) {
         j["normalizer"] = {{"type", "Lowercase"}};
       },
       foreign, "normalizer is Lowercase"},
      {[](json& j) { j["normalizer"].erase("clean_text"); }, corrupt, "normalizer.clean_text is missing"},
      {[](json& j) { j["normalizer"]["lowercase"] = "yes"; }, corrupt, "normalizer.lowercase is string"},
      {[](json& j) { j["normalizer"]["strip_accents"] = 1; }, corrupt, "normalizer.strip_accents is number"},
      {[](json& j) {
         j["pre_tokenizer"] = {{"type", "Whitespace"}};
       },
       foreign, "pre_tokenizer is Whitespace, not a BertPreTokenizer"},
      {[](json& j) { j["post_processor"] = nullptr; }, foreign, "post_processor is null"},
      {[](json& j) {
         j["post_processor"] = {{"type", "RobertaProcessing"}};
       },
       foreign, "post_processor is RobertaProcessing"},
      {[](json& j) { j["post_processor"]["single"].erase(2); }, foreign, "post_processor.single is not"},
      {[](json& j) { j["post_processor"]["single"][1]["Sequence"]["id"] = "B"; }, foreign,
       "post_processor.single is not"},
      {[](json& j) { j["post_processor"]["special_tokens"]["[SEP]"]["ids"] = {5}; }, corrupt,
       "gives '[SEP]' the id 5, not its vocabulary id"},
      {[](json& j) { j["post_processor"]["special_tokens"].erase("[CLS]"); }, corrupt,
       "post_processor.special_tokens.[CLS] is missing"},
      {[](json& j) {
         j["post_processor"]["special_tokens"]["[CLS]"]["ids"] = {2, 3};
       },
       foreign, "ids is not one id"},
      {[](json& j) {
         j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}};
       },
       corrupt, "post_processor.cls is missing"},
      {[](json& j) {
         j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", "[CLS]"}};
       },
       corrupt, "post_processor.cls is not [token, id]"},
      {[](json& j) {
         j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 2}}, {"cls", {"[CLS]", 2}}};
       },
       corrupt, "post_processor.sep gives '[SEP]' the id 2"},
      {[](json& j) { j["post_processor"]["special_tokens"] = 5; }, corrupt,
       "post_processor.special_tokens is not an object"},
      {[](json& j) { j["post_processor"]["single"][1]["Sequence"]["id"] = 5; }, corrupt,
       "tokenizer.json: [json.exception.type_error"},
      {[](json& j) {
         j["padding"] = {{"pad_id", 0}};
       },
       corrupt, "padding.pad_token is missing"},
      {[](json& j) {
         j["padding"] = {{"pad_token", "<pad>"}};
       },
       foreign, "pad token '<pad>' is not in the vocabulary"},
      {[](json& j) { j.erase("added_tokens"); }, corrupt, "added_tokens is missing"},
      {[](json& j) { j["added_tokens"] = json::object(); }, corrupt, "added_tokens is not an array"},
      {[](json& j) { j["added_tokens"][4]["lstrip"] = true; }, foreign,
       "added token '[MASK]' has lstrip set"},
      {[](json& j) { j["added_tokens"][4]["normalized"] = true; }, foreign, "has normalized set"},
      {[](json& j) { j["added_tokens"][4].erase("rstrip"); }, corrupt, "added_tokens[].rstrip is missing"},
      {[](json& j) { j["added_tokens"][4]["id"] = 5; }, corrupt, "added token '[MASK]' has the id 5"},
      {[](json& j) { j["added_tokens"][4]["id"] = 400; }, corrupt, "has the id 400"},
      {[](json& j) {
         j["model"]["vocab"].erase("[UNK]");
         j["model"]["vocab"]["zz"] = 1;
         j["added_tokens"].erase(1);
       },
       foreign, "unk token '[UNK]' is not in the vocabulary"},
  };
  for (const auto& [edit, code, fragment] : cases) {
    json j = minimal_json();
    edit(j);
    INFO(fragment);
    refused(j, code, fragment);
  }
}

TEST_CASE("Tokenizer: the same ids as Hugging Face on tiny vocabularies", "[tokenizer]") {
  const auto lines = read_fixture(fixture("hard_strings.ids.jsonl"));
  REQUIRE(lines.size() >= 200);
  for (const std::string name : {"tiny_uncased", "tiny_lower", "tiny_cased"}) {
    const auto tokenizer =
        WordPieceTokenizer::from_tokenizer_json(testing::slurp(fixture(name + ".tokenizer.json")));
    CHECK(matching(tokenizer, lines, name) == lines.size());
  }
}

TEST_CASE("Tokenizer: one tokenizer encodes from several threads at once", "[tokenizer]") {
  const auto lines = read_fixture(fixture("hard_strings.ids.jsonl"));
  const auto tokenizer =
      WordPieceTokenizer::from_tokenizer_json(testing::slurp(fixture("tiny_uncased.tokenizer.json")));
  std::atomic<size_t> same{0};  // Catch2's assertions are not for other threads
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int round = 0; round < 3; ++round)
        for (const json& line : lines)
          if (tokenizer.encode(line.at("text").get<std::string>()) ==
              line.at("ids").at("tiny_uncased").get<std::vector<int32_t>>())
            ++same;
    });
  for (auto& thread : threads) thread.join();
  CHECK(same == 4 * 3 * lines.size());
}

TEST_CASE("Tokenizer: the same ids as Hugging Face with all-MiniLM-L6-v2's tokenizer.json", "[tokenizer]") {
  const char* dir = std::getenv("INVF_TEXT_MODEL_DIR");
  const auto path = dir ? std::filesystem::path(dir) / "tokenizer.json" : std::filesystem::path();
  if (!dir || !std::filesystem::exists(path)) {
    WARN(
        "INVF_TEXT_MODEL_DIR does not hold tokenizer.json (scripts/fetch_text_model.sh): MiniLM parity "
        "skipped");
    return;
  }
  const auto tokenizer = WordPieceTokenizer::from_tokenizer_json(testing::slurp(path.string()));
  REQUIRE(tokenizer.vocab().size() == 30522);
  const auto lines = read_fixture(fixture("minilm.ids.jsonl.gz"));
  REQUIRE(lines.size() >= 1000);
  const size_t same = matching(tokenizer, lines, "minilm");
  std::printf("MiniLM tokenizer parity: %zu of %zu texts give Hugging Face's ids\n", same, lines.size());
  CHECK(same == lines.size());
}

TEST_CASE("Tokenizer: every code point as Hugging Face but the listed ones", "[tokenizer]") {
  const char* dir = std::getenv("INVF_TOKENIZER_CODE_POINTS");
  if (!dir) {
    WARN(
        "INVF_TOKENIZER_CODE_POINTS is not set (tests/make_tokenizer_fixture.py --code-points DIR): skipped");
    return;
  }
  // "NAME CODEPOINT CATEGORY" of each code point whose ids differ.
  std::set<std::string> differences;
  for (const std::string name : {"uncased", "lower", "cased"}) {
    const auto tokenizer = WordPieceTokenizer::from_tokenizer_json(
        testing::slurp((std::filesystem::path(dir) / (name + ".tokenizer.json")).string()));
    std::ifstream in(std::filesystem::path(dir) / (name + ".ids"));
    size_t points = 0, differ = 0;
    for (std::string line; std::getline(in, line); ++points) {
      std::istringstream fields(line);
      int32_t c = 0;
      fields >> c;
      std::vector<int32_t> want;
      for (int32_t id = 0; fields >> id;) want.push_back(id);
      uint8_t utf8[4];
      const std::string one(reinterpret_cast<const char*>(utf8), utf8proc_encode_char(c, utf8));
      if (tokenizer.encode("a" + one + "b " + one) != want) {
        differences.insert(fmt::format("{} {:06X} {}", name, c, utf8proc_category_string(c)));
        ++differ;
      }
    }
    CHECK(points == 0x110000 - 1 - 0x800);  // all but U+0000 and the surrogates
    std::printf("code points, %s: %zu of %zu as Hugging Face\n", name.c_str(), points - differ, points);
  }
  const std::string listed_path = fixture("code_point_differences.txt");
  if (std::getenv("INVF_WRITE_CODE_POINT_DIFFERENCES")) {
    std::ofstream out(listed_path);
    out << "# Code points where Hugging Face tokenizers 0.15.2 and lib/text/tokenizer.cpp (utf8proc) give\n"
           "# different ids for \"a{c}b {c}\" (tests/test_tokenizer.cpp, docs/text.md): tokenizer, code\n"
           "# point, its category in utf8proc's tables.  Written with INVF_WRITE_CODE_POINT_DIFFERENCES=1.\n";
    for (const auto& line : differences) out << line << "\n";
  }
  std::set<std::string> listed;
  std::ifstream in(listed_path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') listed.insert(line);
  std::vector<std::string> unlisted, gone;
  std::set_difference(differences.begin(), differences.end(), listed.begin(), listed.end(),
                      std::back_inserter(unlisted));
  std::set_difference(listed.begin(), listed.end(), differences.begin(), differences.end(),
                      std::back_inserter(gone));
  INFO("differ but not listed: " << json(unlisted).dump());
  INFO("listed but the same: " << json(gone).dump());
  CHECK(unlisted.empty());
  CHECK(gone.empty());
}
