#include "text/text_model.hpp"

#include "error.hpp"

namespace invforecast::text {

WordPieceTokenizer tokenizer_of(const TextModelMetadata& metadata) {
  const TextTokenizerSpec& t = metadata.tokenizer;
  TokenizerSettings settings;
  settings.lowercase = t.lowercase;
  settings.strip_accents = t.strip_accents;
  settings.split_cjk = t.split_cjk;
  settings.clean_text = t.clean_text;
  settings.unk = t.unk;
  settings.cls = t.cls;
  settings.sep = t.sep;
  settings.pad = t.pad;
  settings.continuing_prefix = t.continuing_prefix;
  settings.max_input_chars_per_word = static_cast<int>(t.max_input_chars_per_word);
  settings.max_tokens = static_cast<size_t>(metadata.config.max_seq_length);
  settings.added_tokens = t.added_tokens;
  return WordPieceTokenizer(t.vocab, std::move(settings));
}

TextModel::TextModel(TextModelFile file, const kernels::Backend& backend)
    : tokenizer_(tokenizer_of(file.metadata())), encoder_(std::move(file), backend) {}

std::vector<std::vector<int32_t>> TextModel::tokenize(std::span<const std::string_view> texts) const {
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    try {
      ids.push_back(tokenizer_.encode(texts[i]));
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("text {}: {}", i, e.what()));
    }
  }
  return ids;
}

void TextModel::embed(std::span<const std::string_view> texts, std::span<float> out, int threads) const {
  encoder_.embed(tokenize(texts), out, nullptr, threads);
}

}  // namespace invforecast::text
