// invforecast embed: product texts to sentence embeddings with a text model.
#include <cstdio>
#include <fstream>
#include <memory>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct EmbedFlags {
  std::string text_model, input, out, tokens;
  int threads = 0;
};

// The input's lines, without their line ends (LF or CRLF); a final line end adds no empty text.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw invf::Error(INVF_ERR_IO, "cannot open input '" + path + "'");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (in.bad()) throw invf::Error(INVF_ERR_IO, "cannot read input '" + path + "'");
  return lines;
}

// Written under a temporary name and renamed over `path`, so a reader never sees half a file.
void write_text(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size())) || !out.flush()) {
      std::remove(temporary.c_str());
      throw invf::Error(INVF_ERR_IO, "cannot write '" + path + "'");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw invf::Error(INVF_ERR_IO, "cannot write '" + path + "'");
  }
}

void run_embed(const EmbedFlags& flags) {
  Settings settings;
  settings.set("threads", std::to_string(flags.threads));
  settings.require_read(INVF_DOMAIN_FORECAST, "embed");
  const invf::Options options = settings.for_call(INVF_DOMAIN_FORECAST);
  const invf::TextModel model = invf::TextModel::load(flags.text_model, &options);
  const std::vector<std::string> texts = read_lines(flags.input);
  std::vector<float> embeddings;
  try {
    embeddings = model.embed(texts);
  } catch (const invf::Error& e) {
    // The library names the text by its index; the input names it by its line.
    throw invf::Error(e.code(), flags.input + ": " + e.what() + " (text i is line i + 1)");
  }
  const size_t dim = model.dim();
  // %.9g: a float's shortest exact decimal needs at most 9 digits.
  std::string csv;
  char number[32];
  for (size_t i = 0; i < texts.size(); ++i) {
    for (size_t d = 0; d < dim; ++d) {
      std::snprintf(number, sizeof number, d ? ",%.9g" : "%.9g", embeddings[i * dim + d]);
      csv += number;
    }
    csv += '\n';
  }
  write_text(flags.out, csv);
  if (!flags.tokens.empty()) {
    std::string jsonl;
    for (const std::string& text : texts) {
      const std::vector<int32_t> ids = model.tokenize(text);
      for (size_t k = 0; k < ids.size(); ++k) jsonl += (k ? "," : "[") + std::to_string(ids[k]);
      jsonl += "]\n";
    }
    write_text(flags.tokens, jsonl);
  }
  std::printf("wrote %s: %zu texts x %zu floats\n", flags.out.c_str(), texts.size(), dim);
}

}  // namespace

void register_embed(CLI::App& app) {
  auto flags = std::make_shared<EmbedFlags>();
  CLI::App* command = app.add_subcommand(
      "embed", "Embed product texts (one per line) with a text model, e.g. all-MiniLM-L6-v2");
  command->add_option("--text-model", flags->text_model,
                      "Text-model file (scripts/fetch_text_model.sh makes all-MiniLM-L6-v2's)")
      ->required()
      ->type_name("FILE");
  command->add_option("--input,-i", flags->input, "UTF-8 texts, one per line")->required()->type_name("FILE");
  command->add_option("--out,-o", flags->out,
                      "Output CSV: one row per input line, its embedding's floats, no header")
      ->required()
      ->type_name("FILE");
  command->add_option("--tokens", flags->tokens,
                      "Also write each line's token ids ([CLS] ... [SEP]) as a JSON array per line")
      ->type_name("FILE");
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")->capture_default_str();
  command->callback([flags] { run_embed(*flags); });
}

}  // namespace invforecast_cli
