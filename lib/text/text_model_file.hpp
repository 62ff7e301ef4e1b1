// The text-model file: a BERT-family sentence encoder (all-MiniLM-L6-v2 and its kind) with its
// WordPiece vocabulary and tokenizer settings, in the engine's model format (lib/model/model_file.hpp:
// magic, version, JSON metadata, tensor table, 64-byte aligned f32 data, CRC-32), so that one file is
// the whole text model.  scripts/convert_text_model.py writes it from a Hugging Face checkpoint.
//
// Metadata (JSON, keys sorted):
//   {"config": {"architecture": "bert_sentence_encoder", "vocab_size": V, "hidden": D,
//               "layers": L, "heads": A, "intermediate": F, "max_positions": P, "type_vocab": T,
//               "layer_norm_eps": e, "activation": "gelu", "pooling": "mean", "normalize": true,
//               "max_seq_length": S},
//    "tokenizer": {"vocab": [V strings, id order], "lowercase": b, "strip_accents": b,
//                  "split_cjk": b, "clean_text": b, "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]",
//                  "pad": "[PAD]", "continuing_prefix": "##", "max_input_chars_per_word": 100,
//                  "added_tokens": [strings matched verbatim in the raw text, each in vocab]},
//    "provenance": {string: string}}
// The format knows one activation (exact erf GELU), one pooling (the mean of the token states under
// the attention mask) and L2-normalised output; any other value is refused.
//
// Tensors, in this order (Linear layers [out, in] as nn.Linear):
//   token_embed [V, D], pos_embed [P, D], type_embed [T, D], embed_ln.weight [D], embed_ln.bias [D]
//   layers.{i}.attn.qkv.weight [3D, D], .attn.qkv.bias [3D]   BERT's query, key, value stacked
//   layers.{i}.attn.out.weight [D, D], .attn.out.bias [D]
//   layers.{i}.ln1.weight [D], .ln1.bias [D]                   after the attention's residual
//   layers.{i}.ffn1.weight [F, D], .ffn1.bias [F], layers.{i}.ffn2.weight [D, F], .ffn2.bias [D]
//   layers.{i}.ln2.weight [D], .ln2.bias [D]                   after the feed-forward's residual
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/model_file.hpp"

namespace invforecast::text {

struct TextEncoderConfig {
  int64_t vocab_size = 30522;
  int64_t hidden = 384;
  int64_t layers = 6;
  int64_t heads = 12;
  int64_t intermediate = 1536;
  int64_t max_positions = 512;
  int64_t type_vocab = 2;
  double layer_norm_eps = 1e-12;
  // Longest token sequence embedded ([CLS] and [SEP] included); longer input is truncated
  // (sentence-transformers' max_seq_length).  At most max_positions.
  int64_t max_seq_length = 256;

  int64_t head_dim() const { return hidden / heads; }
};

// What the WordPiece tokenizer needs besides the algorithm: the vocabulary and the fields of
// text::TokenizerSettings (lib/text/tokenizer.hpp documents each), whose max_tokens is the config's
// max_seq_length.
struct TextTokenizerSpec {
  std::vector<std::string> vocab;  // token strings by id
  bool lowercase = true, strip_accents = true, split_cjk = true, clean_text = true;
  std::string unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]";
  std::string continuing_prefix = "##";
  int64_t max_input_chars_per_word = 100;
  std::vector<std::string> added_tokens;
};

struct TextModelMetadata {
  TextEncoderConfig config;
  TextTokenizerSpec tokenizer;
  std::map<std::string, std::string> provenance;
};

// Bounds beyond which a file is treated as corrupt (no buffer is ever sized from absurd numbers).
struct TextConfigLimits {
  static constexpr int64_t max_vocab = 1 << 21;
  static constexpr int64_t max_hidden = 1 << 14;
  static constexpr int64_t max_layers = 256;
  static constexpr int64_t max_heads = 256;
  static constexpr int64_t max_intermediate = 1 << 16;
  static constexpr int64_t max_positions = 1 << 14;
  static constexpr int64_t max_type_vocab = 64;
  static constexpr int64_t max_token_bytes = 1 << 10;
};

// Every field in range, hidden a multiple of heads, max_seq_length <= max_positions, a vocabulary of
// vocab_size distinct non-empty tokens holding unk, cls, sep, pad and every added token, a
// non-empty continuing prefix; Error(CorruptModel) naming the first field that is not.
void validate_text_metadata(const TextModelMetadata& metadata);
std::string text_metadata_to_json(const TextModelMetadata& metadata);
// Validates as above; a forecast model's metadata is Error(InvalidArgument) saying so.
TextModelMetadata text_metadata_from_json(std::string_view json);
// The tensors of a (validated) config, in file order (the list at the top).
std::vector<TensorSpec> text_expected_tensors(const TextEncoderConfig& config);

// Error(InvalidArgument) when the metadata or a tensor is invalid (write_container's checks).
std::vector<uint8_t> write_text_model_buffer(const TextModelMetadata& metadata,
                                             std::span<const NamedTensor> tensors);

// A validated text-model file; loading checks what ModelFile's loader checks (sizes, offsets,
// shapes, finiteness, CRC: Error(CorruptModel) naming what is wrong, a later format version
// Error(Unsupported), an unreadable path Error(Io)) and refuses a forecast model with
// Error(InvalidArgument).  Immutable; copies share the storage; any number of threads may read it.
class TextModelFile {
 public:
  static TextModelFile open(const std::string& path);
  static TextModelFile from_buffer(std::span<const uint8_t> bytes, BufferMode mode);

  const TextModelMetadata& metadata() const { return metadata_; }
  const TextEncoderConfig& config() const { return metadata_.config; }
  // Error(InvalidArgument) when there is no such tensor.
  const TensorView& tensor(std::string_view name) const;

 private:
  TextModelFile() = default;
  static TextModelFile parse(ModelBytes source);

  ModelBytes source_;
  TextModelMetadata metadata_;
  std::vector<TensorView> tensors_;
};

}  // namespace invforecast::text
