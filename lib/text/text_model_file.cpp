#include "text/text_model_file.hpp"

#include <nlohmann/json.hpp>

#include <set>

#include "error.hpp"

namespace invforecast::text {

namespace {

using nlohmann::json;

constexpr std::string_view kActivation = "gelu";
constexpr std::string_view kPooling = "mean";

// One metadata object's fields, read with the path they are named by in errors.
class Fields {
 public:
  Fields(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {
    if (!object_.is_object())
      fail(ErrorCode::CorruptModel, "text model metadata: '{}' must be an object", prefix_);
  }

  const json& at(const char* key) const {
    auto it = object_.find(key);
    if (it == object_.end())
      fail(ErrorCode::CorruptModel, "text model metadata: missing field '{}.{}'", prefix_, key);
    return *it;
  }
  int64_t integer(const char* key, int64_t lo, int64_t hi) const {
    const json& v = at(key);
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(hi)) ||
        v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      fail(ErrorCode::CorruptModel, "text model metadata: '{}.{}' must be an integer in [{}, {}]", prefix_,
           key, lo, hi);
    return v.get<int64_t>();
  }
  double number(const char* key) const {
    const json& v = at(key);
    if (!v.is_number()) fail(ErrorCode::CorruptModel, "text model metadata: '{}.{}' must be a number", prefix_, key);
    return v.get<double>();
  }
  bool boolean(const char* key) const {
    const json& v = at(key);
    if (!v.is_boolean())
      fail(ErrorCode::CorruptModel, "text model metadata: '{}.{}' must be true or false", prefix_, key);
    return v.get<bool>();
  }
  const std::string& string(const char* key) const {
    const json& v = at(key);
    if (!v.is_string()) fail(ErrorCode::CorruptModel, "text model metadata: '{}.{}' must be a string", prefix_, key);
    return v.get_ref<const std::string&>();
  }
  void expect(const char* key, std::string_view value) const {
    if (string(key) != value)
      fail(ErrorCode::CorruptModel, "text model metadata: '{}.{}' is '{}', this format knows only '{}'", prefix_, key,
           string(key), value);
  }

 private:
  const json& object_;
  std::string prefix_;
};

[[noreturn]] void bad_field(std::string_view what) { fail(ErrorCode::CorruptModel, "text model metadata: {}", what); }

}  // namespace

void validate_text_metadata(const TextModelMetadata& m) {
  const TextEncoderConfig& c = m.config;
  using L = TextConfigLimits;
  const std::pair<const char*, std::array<int64_t, 3>> ranges[] = {
      {"vocab_size", {c.vocab_size, 5, L::max_vocab}},
      {"hidden", {c.hidden, 1, L::max_hidden}},
      {"layers", {c.layers, 1, L::max_layers}},
      {"heads", {c.heads, 1, L::max_heads}},
      {"intermediate", {c.intermediate, 1, L::max_intermediate}},
      {"max_positions", {c.max_positions, 3, L::max_positions}},
      {"type_vocab", {c.type_vocab, 1, L::max_type_vocab}},
      {"max_seq_length", {c.max_seq_length, 3, c.max_positions}},
  };
  for (const auto& [name, r] : ranges)
    if (r[0] < r[1] || r[0] > r[2])
      fail(ErrorCode::CorruptModel, "text model config: {} = {} is outside [{}, {}]", name, r[0], r[1], r[2]);
  if (c.hidden % c.heads != 0)
    fail(ErrorCode::CorruptModel, "text model config: hidden {} is not a multiple of heads {}", c.hidden, c.heads);
  if (!(c.layer_norm_eps > 0 && c.layer_norm_eps < 1))
    fail(ErrorCode::CorruptModel, "text model config: layer_norm_eps {} is outside (0, 1)", c.layer_norm_eps);

  const TextTokenizerSpec& t = m.tokenizer;
  if (static_cast<int64_t>(t.vocab.size()) != c.vocab_size)
    fail(ErrorCode::CorruptModel, "text model tokenizer: {} vocabulary entries, the config says vocab_size {}",
         t.vocab.size(), c.vocab_size);
  std::set<std::string_view> seen;
  for (size_t id = 0; id < t.vocab.size(); ++id) {
    const std::string& token = t.vocab[id];
    if (token.empty() || token.size() > static_cast<size_t>(L::max_token_bytes))
      fail(ErrorCode::CorruptModel, "text model tokenizer: vocabulary entry {} has {} bytes (1..{} allowed)", id,
           token.size(), L::max_token_bytes);
    if (!seen.insert(token).second)
      fail(ErrorCode::CorruptModel, "text model tokenizer: vocabulary entry {} '{}' appears twice", id, token);
  }
  for (const auto& [name, token] : {std::pair{"unk", &t.unk}, {"cls", &t.cls}, {"sep", &t.sep}, {"pad", &t.pad}})
    if (!seen.count(*token))
      fail(ErrorCode::CorruptModel, "text model tokenizer: the {} token '{}' is not in the vocabulary", name, *token);
  for (const std::string& token : t.added_tokens)
    if (!seen.count(token))
      fail(ErrorCode::CorruptModel, "text model tokenizer: the added token '{}' is not in the vocabulary", token);
  if (t.continuing_prefix.empty()) bad_field("tokenizer.continuing_prefix is empty");
  if (t.max_input_chars_per_word < 1 || t.max_input_chars_per_word > L::max_token_bytes)
    fail(ErrorCode::CorruptModel, "text model tokenizer: max_input_chars_per_word {} is outside [1, {}]",
         t.max_input_chars_per_word, L::max_token_bytes);
}

std::string text_metadata_to_json(const TextModelMetadata& m) {
  const TextEncoderConfig& c = m.config;
  const TextTokenizerSpec& t = m.tokenizer;
  const json config = {
      {"architecture", kTextEncoderArchitecture}, {"vocab_size", c.vocab_size},
      {"hidden", c.hidden}, {"layers", c.layers}, {"heads", c.heads},
      {"intermediate", c.intermediate}, {"max_positions", c.max_positions},
      {"type_vocab", c.type_vocab}, {"layer_norm_eps", c.layer_norm_eps},
      {"activation", kActivation}, {"pooling", kPooling}, {"normalize", true},
      {"max_seq_length", c.max_seq_length},
  };
  const json tokenizer = {
      {"vocab", t.vocab}, {"lowercase", t.lowercase}, {"strip_accents", t.strip_accents},
      {"split_cjk", t.split_cjk}, {"clean_text", t.clean_text}, {"unk", t.unk}, {"cls", t.cls}, {"sep", t.sep}, {"pad", t.pad},
      {"continuing_prefix", t.continuing_prefix},
      {"max_input_chars_per_word", t.max_input_chars_per_word}, {"added_tokens", t.added_tokens},
  };
  json provenance = json::object();
  for (const auto& [key, value] : m.provenance) provenance[key] = value;
  return json{{"config", config}, {"tokenizer", tokenizer}, {"provenance", provenance}}.dump();
}

TextModelMetadata text_metadata_from_json(std::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail(ErrorCode::CorruptModel, "text model metadata is not valid JSON: {}", e.what());
  }
  const Fields top(root, "metadata");
  const Fields cf(top.at("config"), "config");
  const std::string& architecture = cf.string("architecture");
  if (architecture == kForecastArchitecture)
    fail(ErrorCode::InvalidArgument,
         "this is a forecast model file (architecture '{}'), not a text model: give it as --model", architecture);
  cf.expect("architecture", kTextEncoderArchitecture);
  cf.expect("activation", kActivation);
  cf.expect("pooling", kPooling);
  if (!cf.boolean("normalize")) bad_field("config.normalize is false, this format knows only normalised output");

  TextModelMetadata m;
  TextEncoderConfig& c = m.config;
  using L = TextConfigLimits;
  c.vocab_size = cf.integer("vocab_size", 1, L::max_vocab);
  c.hidden = cf.integer("hidden", 1, L::max_hidden);
  c.layers = cf.integer("layers", 1, L::max_layers);
  c.heads = cf.integer("heads", 1, L::max_heads);
  c.intermediate = cf.integer("intermediate", 1, L::max_intermediate);
  c.max_positions = cf.integer("max_positions", 1, L::max_positions);
  c.type_vocab = cf.integer("type_vocab", 1, L::max_type_vocab);
  c.layer_norm_eps = cf.number("layer_norm_eps");
  c.max_seq_length = cf.integer("max_seq_length", 1, L::max_positions);

  const Fields tf(top.at("tokenizer"), "tokenizer");
  TextTokenizerSpec& t = m.tokenizer;
  const json& vocab = tf.at("vocab");
  if (!vocab.is_array() || vocab.size() != static_cast<size_t>(c.vocab_size))
    fail(ErrorCode::CorruptModel, "text model metadata: 'tokenizer.vocab' must be an array of vocab_size ({}) strings",
         c.vocab_size);
  t.vocab.reserve(vocab.size());
  for (const json& token : vocab) {
    if (!token.is_string()) bad_field("'tokenizer.vocab' holds a value that is not a string");
    t.vocab.push_back(token.get<std::string>());
  }
  t.lowercase = tf.boolean("lowercase");
  t.strip_accents = tf.boolean("strip_accents");
  t.split_cjk = tf.boolean("split_cjk");
  t.clean_text = tf.boolean("clean_text");
  t.unk = tf.string("unk");
  t.cls = tf.string("cls");
  t.sep = tf.string("sep");
  t.pad = tf.string("pad");
  t.continuing_prefix = tf.string("continuing_prefix");
  t.max_input_chars_per_word = tf.integer("max_input_chars_per_word", 1, L::max_token_bytes);
  const json& added = tf.at("added_tokens");
  if (!added.is_array() || added.size() > static_cast<size_t>(c.vocab_size))
    bad_field("'tokenizer.added_tokens' must be an array of at most vocab_size strings");
  for (const json& token : added) {
    if (!token.is_string()) bad_field("'tokenizer.added_tokens' holds a value that is not a string");
    t.added_tokens.push_back(token.get<std::string>());
  }

  const json& provenance = top.at("provenance");
  if (!provenance.is_object()) bad_field("'provenance' must be an object");
  for (const auto& [key, value] : provenance.items()) {
    if (!value.is_string()) fail(ErrorCode::CorruptModel, "text model metadata: provenance '{}' must be a string", key);
    m.provenance.emplace(key, value.get<std::string>());
  }
  validate_text_metadata(m);
  return m;
}

std::vector<TensorSpec> text_expected_tensors(const TextEncoderConfig& c) {
  const int64_t D = c.hidden, F = c.intermediate;
  std::vector<TensorSpec> specs = {{"token_embed", {c.vocab_size, D}},
                                   {"pos_embed", {c.max_positions, D}},
                                   {"type_embed", {c.type_vocab, D}},
                                   {"embed_ln.weight", {D}},
                                   {"embed_ln.bias", {D}}};
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    for (TensorSpec spec : std::initializer_list<TensorSpec>{
             {"attn.qkv.weight", {3 * D, D}}, {"attn.qkv.bias", {3 * D}},
             {"attn.out.weight", {D, D}},     {"attn.out.bias", {D}},
             {"ln1.weight", {D}},             {"ln1.bias", {D}},
             {"ffn1.weight", {F, D}},         {"ffn1.bias", {F}},
             {"ffn2.weight", {D, F}},         {"ffn2.bias", {D}},
             {"ln2.weight", {D}},             {"ln2.bias", {D}}}) {
      spec.name = p + spec.name;
      specs.push_back(std::move(spec));
    }
  }
  return specs;
}

std::vector<uint8_t> write_text_model_buffer(const TextModelMetadata& metadata,
                                             std::span<const NamedTensor> tensors) {
  try {
    validate_text_metadata(metadata);
  } catch (const Error& e) {
    throw Error(ErrorCode::InvalidArgument, e.what());
  }
  return write_container(text_metadata_to_json(metadata), text_expected_tensors(metadata.config), tensors);
}

TextModelFile TextModelFile::parse(ModelBytes source) {
  TextModelFile model;
  ContainerContents contents = read_container(source.bytes(), [&model](std::string_view json) {
    model.metadata_ = text_metadata_from_json(json);
    return text_expected_tensors(model.metadata_.config);
  });
  model.source_ = std::move(source);
  model.tensors_ = std::move(contents.tensors);
  return model;
}

TextModelFile TextModelFile::open(const std::string& path) {
  return load_naming_path(path, [&path] { return parse(ModelBytes::map(path)); });
}

TextModelFile TextModelFile::from_buffer(std::span<const uint8_t> bytes, BufferMode mode) {
  return parse(ModelBytes::from_buffer(bytes, mode));
}

const TensorView& TextModelFile::tensor(std::string_view name) const {
  for (const TensorView& t : tensors_)
    if (t.name == name) return t;
  fail(ErrorCode::InvalidArgument, "the text model has no tensor '{}'", name);
}

}  // namespace invforecast::text
