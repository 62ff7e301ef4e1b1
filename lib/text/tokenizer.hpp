// BERT's WordPiece tokenizer, as Hugging Face `tokenizers` runs it for a
// tokenizer.json with a BertNormalizer, a BertPreTokenizer and a WordPiece
// model (all-MiniLM-L6-v2 and the other uncased BERTs).  Text in, token ids
// out, [CLS] and [SEP] included; docs/text.md states the rules and how close
// to Hugging Face they are measured to be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace invforecast::text {

// What tokenizer.json's normalizer, pre_tokenizer, model and added_tokens say.
struct TokenizerSettings {
  // BertNormalizer: split_cjk (handle_chinese_chars) puts spaces around CJK
  // ideographs; strip_accents decomposes (NFD) and drops non-spacing marks
  // (Mn); lowercase maps each character to its lower case; clean_text drops
  // U+0000, U+FFFD and the characters of categories Cc, Cf, Co other than
  // \t \n \r, and turns whitespace into ' '.
  bool lowercase = true, strip_accents = true, split_cjk = true, clean_text = true;
  // Must be in the vocabulary.
  std::string unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]";
  // WordPiece: a word's pieces after its first start with this prefix; a word
  // of more characters (code points) than the limit is one [UNK].
  std::string continuing_prefix = "##";
  int max_input_chars_per_word = 100;
  // Truncation, [CLS] and [SEP] included (sentence-transformers'
  // max_seq_length, 256 for all-MiniLM-L6-v2); at least 2.
  size_t max_tokens = 256;
  // Tokens found verbatim in the raw text, before any normalisation, and
  // given their own id (tokenizer.json's added_tokens: "[CLS]" typed into a
  // product title is the [CLS] token there too); leftmost-longest match.
  // Each must be in the vocabulary.  Empty: none.
  std::vector<std::string> added_tokens;
};

// Immutable once built; encode() is safe to call from several threads.
class WordPieceTokenizer {
 public:
  // vocab[i] is token id i.  Throws Error(InvalidArgument) for an empty
  // vocabulary, a token listed twice, a special or added token missing from
  // it, an added token that is empty or not UTF-8, max_tokens < 2 or
  // max_input_chars_per_word < 0.
  WordPieceTokenizer(std::vector<std::string> vocab, TokenizerSettings settings);

  // Parses a Hugging Face tokenizer.json: the vocabulary (model.vocab, ids
  // dense 0..n-1) and the settings above; [CLS] and [SEP] are those of the
  // post_processor, [PAD] padding's pad_token ("[PAD]" without padding).
  // Its truncation is not read: max_tokens stays 256, as sentence-transformers
  // overrides it.  Error(CorruptModel) for text that is not JSON, a missing
  // or mistyped field, ids that are not dense, an added token whose id is not
  // its vocabulary id; Error(InvalidArgument) for a tokenizer of another kind
  // (a model other than WordPiece, a normalizer other than BertNormalizer, a
  // pre-tokenizer other than BertPreTokenizer, a post-processor other than
  // [CLS] $A [SEP], an added token with lstrip, rstrip, single_word or
  // normalized set).  The message names the field.
  static WordPieceTokenizer from_tokenizer_json(std::string_view json_text);

  // [CLS], the ids of `utf8`'s words, [SEP]: at most settings().max_tokens
  // ids, the words' ids cut at max_tokens - 2.  "" gives [CLS] [SEP].
  // Invalid UTF-8 (a truncated or overlong sequence, a surrogate, a code
  // point above U+10FFFF, a stray continuation byte) is Error(InvalidArgument)
  // naming the byte offset: nothing is replaced silently.
  std::vector<int32_t> encode(std::string_view utf8) const;

  const std::vector<std::string>& vocab() const { return vocab_; }
  const TokenizerSettings& settings() const { return settings_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Ids = std::unordered_map<std::string, int32_t, Hash, std::equal_to<>>;

  static WordPieceTokenizer from_json(const nlohmann::json& root);
  int32_t id_of(std::string_view token, std::string_view role) const;
  // Appends the ids of a run of text holding no added token.
  void encode_segment(std::string_view utf8, size_t limit, std::vector<int32_t>& ids) const;
  void encode_word(const std::u32string& word, std::vector<int32_t>& ids) const;

  std::vector<std::string> vocab_;
  TokenizerSettings settings_;
  Ids ids_;
  std::vector<int32_t> added_ids_;  // of settings_.added_tokens
  int32_t pad_id_ = 0, cls_id_ = 0, sep_id_ = 0, unk_id_ = 0;
};

}  // namespace invforecast::text
