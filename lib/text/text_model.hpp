// A whole text model: the WordPiece tokenizer and the sentence encoder of one text-model file, from
// UTF-8 texts to unit-length embeddings.  Immutable; any number of threads may use it at once.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "text/text_encoder.hpp"
#include "text/tokenizer.hpp"

namespace invforecast::text {

// The tokenizer a file describes (its vocabulary and settings, truncating at max_seq_length).
WordPieceTokenizer tokenizer_of(const TextModelMetadata& metadata);

class TextModel {
 public:
  TextModel(TextModelFile file, const kernels::Backend& backend);

  const TextEncoder& encoder() const { return encoder_; }
  const WordPieceTokenizer& tokenizer() const { return tokenizer_; }
  int64_t dim() const { return encoder_.dim(); }

  // Each text's ids, [CLS] and [SEP] included, at most max_seq_length.  Invalid UTF-8 is
  // Error(InvalidArgument) naming the text (its index) and the byte offset.
  std::vector<std::vector<int32_t>> tokenize(std::span<const std::string_view> texts) const;
  // out: texts.size() * dim() floats (TextEncoder::embed), nothing written on an error.
  void embed(std::span<const std::string_view> texts, std::span<float> out, int threads = 1) const;

 private:
  WordPieceTokenizer tokenizer_;
  TextEncoder encoder_;
};

}  // namespace invforecast::text
