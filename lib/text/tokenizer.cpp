#include "text/tokenizer.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "error.hpp"

namespace invforecast::text {

namespace {

using nlohmann::json;

const uint8_t* bytes_of(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

void append_utf8(std::string& out, char32_t c) {
  uint8_t bytes[4];
  const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), bytes);
  out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
}

// The code point at text[at] and its length in bytes, negative where the
// bytes there are not UTF-8: utf8proc rejects truncated and overlong
// sequences, surrogates, code points above U+10FFFF and bytes that start no
// sequence.
std::pair<char32_t, ptrdiff_t> decode_at(std::string_view text, size_t at) {
  utf8proc_int32_t c = 0;
  const auto n = utf8proc_iterate(bytes_of(text) + at, static_cast<utf8proc_ssize_t>(text.size() - at), &c);
  return {static_cast<char32_t>(c), static_cast<ptrdiff_t>(n)};
}

// `what` names the bytes in the message ("text", "added token").
void require_utf8(std::string_view text, std::string_view what) {
  for (size_t at = 0; at < text.size();) {
    const auto length = decode_at(text, at).second;
    if (length < 0)
      fail(ErrorCode::InvalidArgument,
           "{} is not valid UTF-8 at byte {} (0x{:02X}: an invalid or truncated sequence)", what, at,
           static_cast<unsigned>(static_cast<uint8_t>(text[at])));
    at += static_cast<size_t>(length);
  }
}

utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

// Rust's char::is_whitespace (property White_Space), which `tokenizers` uses.
bool is_whitespace(char32_t c) {
  if ((c >= 9 && c <= 13) || c == 0x85) return true;
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

// Cleaned away: Cc, Cf and Co (private use), but not the tab and newlines,
// which are whitespace.  Unassigned code points (Cn) stay, as there.
bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO;
}

bool is_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
    return true;
  const auto cat = category(c);
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

// The CJK Unified Ideographs blocks as `tokenizers` lists them.
bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// ---------------------------------------------------------------------------
// tokenizer.json: every field read through these, which name it on failure.

// `where` is the object's path, "" at the top level.
std::string path_of(std::string_view where, const char* key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

const json& member(const json& object, std::string_view where, const char* key) {
  if (!object.is_object()) fail(ErrorCode::CorruptModel, "tokenizer.json: {} is not an object", where);
  const auto it = object.find(key);
  if (it == object.end()) fail(ErrorCode::CorruptModel, "tokenizer.json: {} is missing", path_of(where, key));
  return *it;
}

template <class T>
T value_of(const json& object, std::string_view where, const char* key) {
  const json& v = member(object, where, key);
  bool ok = false;
  if constexpr (std::is_same_v<T, bool>)
    ok = v.is_boolean();
  else if constexpr (std::is_same_v<T, std::string>)
    ok = v.is_string();
  else
    ok = v.is_number_integer();
  if (!ok)
    fail(ErrorCode::CorruptModel, "tokenizer.json: {} is {}, not {}", path_of(where, key), v.type_name(),
         std::is_same_v<T, bool>          ? "a boolean"
         : std::is_same_v<T, std::string> ? "a string"
                                          : "an integer");
  return v.get<T>();
}

// A component's "type", or what stands in its place.
std::string type_of(const json& c) {
  if (c.is_null()) return "null";
  return c.is_object() && c.contains("type") && c["type"].is_string() ? c["type"].get<std::string>()
                                                                      : "untyped";
}

// The object `key` of `parent`, of type `type`.
const json& component(const json& parent, const char* key, std::string_view type) {
  const json& c = member(parent, "", key);
  const std::string found = type_of(c);
  if (found != type) fail(ErrorCode::InvalidArgument, "tokenizer.json: {} is {}, not a {}", key, found, type);
  return c;
}

// The id of special token `token` named by the post-processor, which must be
// its id in the vocabulary.
std::string special_token(const std::vector<std::string>& vocab, const std::string& token, int64_t id,
                          std::string_view where) {
  if (id < 0 || id >= static_cast<int64_t>(vocab.size()) || vocab[static_cast<size_t>(id)] != token)
    fail(ErrorCode::CorruptModel, "tokenizer.json: {} gives '{}' the id {}, not its vocabulary id", where,
         token, id);
  return token;
}

// post_processor: [CLS] $A [SEP] as TemplateProcessing or BertProcessing.
std::pair<std::string, std::string> cls_and_sep(const json& root, const std::vector<std::string>& vocab) {
  const json& p = member(root, "", "post_processor");
  const std::string type = type_of(p);
  if (type == "BertProcessing") {
    auto pair_of = [&](const char* key) {
      const json& v = member(p, "post_processor", key);
      if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
        fail(ErrorCode::CorruptModel, "tokenizer.json: post_processor.{} is not [token, id]", key);
      return special_token(vocab, v[0].get<std::string>(), v[1].get<int64_t>(),
                           fmt::format("post_processor.{}", key));
    };
    return {pair_of("cls"), pair_of("sep")};
  }
  if (type != "TemplateProcessing")
    fail(ErrorCode::InvalidArgument,
         "tokenizer.json: post_processor is {}, not a TemplateProcessing or BertProcessing", type);
  const json& single = member(p, "post_processor", "single");
  auto special_at = [&](size_t i) -> std::optional<std::string> {
    if (!single[i].is_object() || !single[i].contains("SpecialToken")) return std::nullopt;
    return value_of<std::string>(single[i]["SpecialToken"], "post_processor.single[].SpecialToken", "id");
  };
  const bool shaped = single.is_array() && single.size() == 3 && single[1].is_object() &&
                      single[1].contains("Sequence") && single[1]["Sequence"].is_object() &&
                      single[1]["Sequence"].value("id", "") == "A";
  const auto cls = shaped ? special_at(0) : std::nullopt;
  const auto sep = shaped ? special_at(2) : std::nullopt;
  if (!cls || !sep)
    fail(ErrorCode::InvalidArgument,
         "tokenizer.json: post_processor.single is not [SpecialToken, Sequence A, SpecialToken] "
         "([CLS] $A [SEP])");
  const json& tokens = member(p, "post_processor", "special_tokens");
  auto checked = [&](const std::string& token) {
    const json& entry = member(tokens, "post_processor.special_tokens", token.c_str());
    const json& ids = member(entry, "post_processor.special_tokens[]", "ids");
    if (!ids.is_array() || ids.size() != 1 || !ids[0].is_number_integer())
      fail(ErrorCode::InvalidArgument, "tokenizer.json: post_processor.special_tokens.{}.ids is not one id",
           token);
    return special_token(vocab, token, ids[0].get<int64_t>(), "post_processor.special_tokens");
  };
  return {checked(*cls), checked(*sep)};
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, TokenizerSettings settings)
    : vocab_(std::move(vocab)), settings_(std::move(settings)) {
  if (vocab_.empty()) fail(ErrorCode::InvalidArgument, "tokenizer: the vocabulary is empty");
  if (vocab_.size() > static_cast<size_t>(INT32_MAX))
    fail(ErrorCode::InvalidArgument, "tokenizer: {} tokens do not fit int32 ids", vocab_.size());
  if (settings_.max_tokens < 2)
    fail(ErrorCode::InvalidArgument, "tokenizer: max_tokens {} leaves no room for [CLS] and [SEP]",
         settings_.max_tokens);
  if (settings_.max_input_chars_per_word < 0)
    fail(ErrorCode::InvalidArgument, "tokenizer: max_input_chars_per_word {} is negative",
         settings_.max_input_chars_per_word);
  ids_.reserve(vocab_.size());
  for (size_t i = 0; i < vocab_.size(); ++i) {
    const auto [at, added] = ids_.emplace(vocab_[i], static_cast<int32_t>(i));
    if (!added)
      fail(ErrorCode::InvalidArgument, "tokenizer: the vocabulary lists '{}' twice (ids {} and {})",
           vocab_[i], at->second, i);
  }
  unk_id_ = id_of(settings_.unk, "unk");
  cls_id_ = id_of(settings_.cls, "cls");
  sep_id_ = id_of(settings_.sep, "sep");
  pad_id_ = id_of(settings_.pad, "pad");
  for (const auto& token : settings_.added_tokens) {
    if (token.empty()) fail(ErrorCode::InvalidArgument, "tokenizer: an added token is empty");
    require_utf8(token, "tokenizer: an added token");
    added_ids_.push_back(id_of(token, "added"));
  }
}

int32_t WordPieceTokenizer::id_of(std::string_view token, std::string_view role) const {
  const auto it = ids_.find(token);
  if (it == ids_.end())
    fail(ErrorCode::InvalidArgument, "tokenizer: the {} token '{}' is not in the vocabulary", role, token);
  return it->second;
}

WordPieceTokenizer WordPieceTokenizer::from_tokenizer_json(std::string_view json_text) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    fail(ErrorCode::CorruptModel, "tokenizer.json is not JSON: {}", e.what());
  }
  if (!root.is_object()) fail(ErrorCode::CorruptModel, "tokenizer.json is not a JSON object");
  try {
    return from_json(root);
  } catch (const json::exception& e) {  // a value of another type where the checks above do not look
    fail(ErrorCode::CorruptModel, "tokenizer.json: {}", e.what());
  }
}

WordPieceTokenizer WordPieceTokenizer::from_json(const nlohmann::json& root) {
  const json& model = component(root, "model", "WordPiece");
  const json& entries = member(model, "model", "vocab");
  if (!entries.is_object()) fail(ErrorCode::CorruptModel, "tokenizer.json: model.vocab is not an object");
  std::vector<std::string> vocab(entries.size());
  std::vector<bool> seen(entries.size(), false);
  for (const auto& [token, id] : entries.items()) {
    const int64_t n = static_cast<int64_t>(vocab.size());
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= n)
      fail(ErrorCode::CorruptModel,
           "tokenizer.json: model.vocab gives '{}' the id {}, outside 0..{} (ids must be dense)", token,
           id.dump(), n - 1);
    const auto i = static_cast<size_t>(id.get<int64_t>());
    if (seen[i])
      fail(ErrorCode::CorruptModel, "tokenizer.json: model.vocab gives the id {} to '{}' and '{}'", i,
           vocab[i], token);
    seen[i] = true;
    vocab[i] = token;
  }

  TokenizerSettings settings;
  settings.unk = value_of<std::string>(model, "model", "unk_token");
  settings.continuing_prefix = value_of<std::string>(model, "model", "continuing_subword_prefix");
  const auto max_chars = value_of<int64_t>(model, "model", "max_input_chars_per_word");
  if (max_chars < 0 || max_chars > INT32_MAX)
    fail(ErrorCode::CorruptModel, "tokenizer.json: model.max_input_chars_per_word {} is out of range",
         max_chars);
  settings.max_input_chars_per_word = static_cast<int>(max_chars);

  const json& normalizer = component(root, "normalizer", "BertNormalizer");
  settings.clean_text = value_of<bool>(normalizer, "normalizer", "clean_text");
  settings.split_cjk = value_of<bool>(normalizer, "normalizer", "handle_chinese_chars");
  settings.lowercase = value_of<bool>(normalizer, "normalizer", "lowercase");
  // null: strip accents when lower-casing (BERT's uncased models).
  const json strip = normalizer.value("strip_accents", json());
  settings.strip_accents =
      strip.is_null() ? settings.lowercase : value_of<bool>(normalizer, "normalizer", "strip_accents");

  component(root, "pre_tokenizer", "BertPreTokenizer");
  std::tie(settings.cls, settings.sep) = cls_and_sep(root, vocab);
  const json& padding = member(root, "", "padding");
  if (!padding.is_null()) settings.pad = value_of<std::string>(padding, "padding", "pad_token");

  const json& added = member(root, "", "added_tokens");
  if (!added.is_array()) fail(ErrorCode::CorruptModel, "tokenizer.json: added_tokens is not an array");
  for (const json& token : added) {
    const auto content = value_of<std::string>(token, "added_tokens[]", "content");
    for (const char* flag : {"single_word", "lstrip", "rstrip", "normalized"})
      if (value_of<bool>(token, "added_tokens[]", flag))
        fail(ErrorCode::InvalidArgument,
             "tokenizer.json: added token '{}' has {} set, which is not supported", content, flag);
    const auto id = value_of<int64_t>(token, "added_tokens[]", "id");
    if (id < 0 || id >= static_cast<int64_t>(vocab.size()) || vocab[static_cast<size_t>(id)] != content)
      fail(ErrorCode::CorruptModel, "tokenizer.json: added token '{}' has the id {}, not its vocabulary id",
           content, id);
    settings.added_tokens.push_back(content);
  }
  return WordPieceTokenizer(std::move(vocab), std::move(settings));
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view utf8) const {
  require_utf8(utf8, "text");
  // ids holds [CLS] and the words' ids, at most max_tokens - 1 of them.
  const size_t cap = settings_.max_tokens - 1;
  std::vector<int32_t> ids{cls_id_};
  size_t segment = 0;
  for (size_t at = 0; !added_ids_.empty() && at < utf8.size() && ids.size() < cap;) {
    size_t best = added_ids_.size();
    for (size_t k = 0; k < added_ids_.size(); ++k) {
      const auto& token = settings_.added_tokens[k];
      if (utf8.substr(at).starts_with(token) &&
          (best == added_ids_.size() || token.size() > settings_.added_tokens[best].size()))
        best = k;
    }
    if (best == added_ids_.size()) {
      ++at;
      continue;
    }
    encode_segment(utf8.substr(segment, at - segment), cap, ids);
    if (ids.size() < cap) ids.push_back(added_ids_[best]);
    at += settings_.added_tokens[best].size();
    segment = at;
  }
  if (segment < utf8.size()) encode_segment(utf8.substr(segment), cap, ids);
  if (ids.size() > cap) ids.resize(cap);
  ids.push_back(sep_id_);
  return ids;
}

void WordPieceTokenizer::encode_segment(std::string_view utf8, size_t limit,
                                        std::vector<int32_t>& ids) const {
  if (ids.size() >= limit) return;
  // BertNormalizer: clean-up and CJK spacing, then NFD, then marks dropped and
  // lower case, as `tokenizers` orders them.
  std::string cleaned;
  cleaned.reserve(utf8.size());
  for (size_t at = 0; at < utf8.size();) {
    auto [c, length] = decode_at(utf8, at);  // valid: encode() checked
    at += static_cast<size_t>(length);
    if (settings_.clean_text) {
      if (c == 0 || c == 0xFFFD || is_control(c)) continue;
      if (is_whitespace(c)) c = ' ';
    }
    const bool spaced = settings_.split_cjk && is_cjk(c);
    if (spaced) cleaned += ' ';
    append_utf8(cleaned, c);
    if (spaced) cleaned += ' ';
  }
  const utf8proc_option_t options = settings_.strip_accents ? UTF8PROC_DECOMPOSE : utf8proc_option_t{};
  std::vector<utf8proc_int32_t> points(cleaned.size());
  for (;;) {
    const auto n = utf8proc_decompose(bytes_of(cleaned), static_cast<utf8proc_ssize_t>(cleaned.size()),
                                      points.data(), static_cast<utf8proc_ssize_t>(points.size()), options);
    if (n < 0) fail(ErrorCode::Internal, "tokenizer: utf8proc: {}", utf8proc_errmsg(n));
    const bool fits = static_cast<size_t>(n) <= points.size();
    points.resize(static_cast<size_t>(n));
    if (fits) break;
  }

  // BertPreTokenizer: split at whitespace (dropped) and around punctuation.
  std::u32string word;
  auto flush = [&] {
    if (!word.empty() && ids.size() < limit) encode_word(word, ids);
    word.clear();
  };
  auto take = [&](char32_t c) {
    if (is_whitespace(c)) {
      flush();
    } else if (is_punctuation(c)) {
      flush();
      word = c;
      flush();
    } else {
      word += c;
    }
  };
  for (const auto point : points) {
    if (ids.size() >= limit) return;
    const auto c = static_cast<char32_t>(point);
    if (settings_.strip_accents && category(c) == UTF8PROC_CATEGORY_MN) continue;
    if (!settings_.lowercase) {
      take(c);
    } else if (c == 0x130) {  // Rust's to_lowercase: İ is i and a combining dot above
      take(U'i');
      take(0x307);
    } else {
      take(static_cast<char32_t>(utf8proc_tolower(point)));
    }
  }
  flush();
}

// Greedy longest-match-first: the longest vocabulary entry that starts the
// rest of the word (with the continuing prefix after the first piece); a word
// with a rest that nothing matches is one [UNK].
void WordPieceTokenizer::encode_word(const std::u32string& word, std::vector<int32_t>& ids) const {
  if (word.size() > static_cast<size_t>(settings_.max_input_chars_per_word)) {
    ids.push_back(unk_id_);
    return;
  }
  std::string bytes;
  std::vector<size_t> starts{0};  // the byte offset of each character, then the end
  for (const char32_t c : word) {
    append_utf8(bytes, c);
    starts.push_back(bytes.size());
  }
  const size_t first = ids.size();
  std::string key;
  for (size_t start = 0; start < word.size();) {
    size_t end = word.size();
    for (; end > start; --end) {
      std::string_view piece(bytes.data() + starts[start], starts[end] - starts[start]);
      if (start > 0) {
        key.assign(settings_.continuing_prefix).append(piece);
        piece = key;
      }
      if (const auto it = ids_.find(piece); it != ids_.end()) {
        ids.push_back(it->second);
        break;
      }
    }
    if (end == start) {
      ids.resize(first);
      ids.push_back(unk_id_);
      return;
    }
    start = end;
  }
}

}  // namespace invforecast::text
