// Model file format v1 (lib/model): round trips, deterministic bytes, the frozen v1 fixtures, and every
// kind of damage a file can carry (truncation, flipped bytes, crafted headers and tables), each of which
// must end in a clean Error naming the problem.
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "error.hpp"
#include "model/model_file.hpp"

using namespace invforecast;
namespace fs = std::filesystem;

namespace {

// context 16, patch 4, stride 2 with end padding: (16 + 2 - 4) / 2 + 1 = 8 tokens.
ModelConfig small_config() {
  return {.context_length = 16, .patch_length = 4, .stride = 2,
          .padding = PaddingMode::ReplicateEnd, .d_model = 8, .heads = 2, .ffn_dim = 16,
          .layers = 1, .horizon = 3, .quantiles = {0.1, 0.5, 0.9},
          .normalization = NormKind::Revin, .revin_affine = true};
}

ModelMetadata small_metadata() {
  ModelMetadata m;
  m.config = small_config();
  m.provenance = {{"dataset", "unit test"}, {"trainer", "none: generated values"}};
  return m;
}

// Deterministic tensor values, exact in f32 (multiples of 1/64 in [-0.75, 0.75]), different per tensor.
float generated_value(size_t tensor_index, size_t element) {
  return static_cast<float>(static_cast<int>((tensor_index * 37 + element * 11) % 97) - 48) / 64.0f;
}

// Owns the values the NamedTensor spans point into.
struct TensorSet {
  std::vector<std::vector<float>> storage;
  std::vector<NamedTensor> tensors;
};

TensorSet generate_tensors(const ModelConfig& config) {
  TensorSet set;
  const std::vector<TensorSpec> specs = expected_tensors(config);
  set.storage.reserve(specs.size());
  for (size_t t = 0; t < specs.size(); ++t) {
    size_t count = 1;
    for (int64_t d : specs[t].dims) count *= static_cast<size_t>(d);
    std::vector<float>& values = set.storage.emplace_back(count);
    for (size_t i = 0; i < count; ++i) values[i] = generated_value(t, i);
    set.tensors.push_back({specs[t].name, specs[t].dims, values});
  }
  return set;
}

std::vector<uint8_t> small_model_bytes() {
  const TensorSet set = generate_tensors(small_config());
  return write_model_buffer(small_metadata(), set.tensors);
}

uint32_t read_u32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}
void write_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void write_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void append_u32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void append_u64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Recomputes the trailing CRC-32 so that a crafted defect is met by the structural checks, not the checksum.
void reseal(std::vector<uint8_t>& b) {
  const uint32_t crc = static_cast<uint32_t>(crc32(0L, b.data(), static_cast<uInt>(b.size() - 4)));
  write_u32(b, b.size() - 4, crc);
}

// A file assembled field by field, independent of the library's writer, so tests can state any table.
struct RawTensor {
  std::string name;
  uint32_t dtype = 1;
  std::vector<uint64_t> dims;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::vector<float> values;  // written at offset; may be empty for tensors whose data is absent
};

struct RawFile {
  uint32_t version = 1;
  std::string metadata;
  std::vector<RawTensor> tensors;
  std::optional<uint32_t> tensor_count;  // overrides tensors.size()
  std::optional<uint64_t> header_len;    // overrides the true end of the table
  std::vector<uint8_t> table_suffix;     // extra bytes after the table, inside the header

  size_t header_end() const {
    size_t n = 32 + metadata.size() + table_suffix.size();
    for (const RawTensor& t : tensors) n += 4 + t.name.size() + 4 + 4 + 8 * t.dims.size() + 8 + 8;
    return n;
  }
  // Places every tensor after the header, 64-byte aligned, in order, with length = 4 * values.
  void lay_out() {
    uint64_t offset = (header_end() + 63) / 64 * 64;
    for (RawTensor& t : tensors) {
      t.offset = offset;
      t.length = t.values.size() * 4;
      offset = (offset + t.length + 63) / 64 * 64;
    }
  }
  std::vector<uint8_t> encode() const {
    std::vector<uint8_t> b = {'I', 'N', 'V', 'F', 'M', 'D', 'L', 0};
    append_u32(b, version);
    append_u32(b, tensor_count.value_or(static_cast<uint32_t>(tensors.size())));
    append_u64(b, metadata.size());
    append_u64(b, header_len.value_or(header_end()));
    b.insert(b.end(), metadata.begin(), metadata.end());
    for (const RawTensor& t : tensors) {
      append_u32(b, static_cast<uint32_t>(t.name.size()));
      b.insert(b.end(), t.name.begin(), t.name.end());
      append_u32(b, t.dtype);
      append_u32(b, static_cast<uint32_t>(t.dims.size()));
      for (uint64_t d : t.dims) append_u64(b, d);
      append_u64(b, t.offset);
      append_u64(b, t.length);
    }
    b.insert(b.end(), table_suffix.begin(), table_suffix.end());
    for (const RawTensor& t : tensors) {
      if (t.values.empty()) continue;
      const size_t end = t.offset + t.values.size() * 4;
      if (b.size() < end) b.resize(end, 0);
      std::memcpy(b.data() + t.offset, t.values.data(), t.values.size() * 4);
    }
    b.resize(b.size() + 4, 0);
    reseal(b);
    return b;
  }
};

RawFile small_raw_file() {
  RawFile raw;
  raw.metadata = metadata_to_json(small_metadata());
  const TensorSet set = generate_tensors(small_config());
  for (const NamedTensor& t : set.tensors) {
    RawTensor r;
    r.name = t.name;
    for (int64_t d : t.dims) r.dims.push_back(static_cast<uint64_t>(d));
    r.values.assign(t.values.begin(), t.values.end());
    raw.tensors.push_back(std::move(r));
  }
  raw.lay_out();
  return raw;
}

RawTensor& raw_tensor(RawFile& raw, std::string_view name) {
  auto it = std::find_if(raw.tensors.begin(), raw.tensors.end(), [&](const RawTensor& t) { return t.name == name; });
  REQUIRE(it != raw.tensors.end());
  return *it;
}

// Loading must fail with `code` and a message containing `needle`, from a borrowed and a copied buffer.
void expect_load_error(const std::vector<uint8_t>& bytes, ErrorCode code, const std::string& needle) {
  for (BufferMode mode : {BufferMode::Borrow, BufferMode::Copy}) {
    try {
      ModelFile::from_buffer(bytes, mode);
      FAIL("loaded a damaged model, expected: " << needle);
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.code() == code);
      CHECK_THAT(e.what(), Catch::Matchers::Contains(needle));
    }
  }
}

void expect_corrupt(const std::vector<uint8_t>& bytes, const std::string& needle) {
  expect_load_error(bytes, ErrorCode::CorruptModel, needle);
}

// Opening the file at `path` must fail with `code` and a message containing `needle`.
void expect_open_error(const std::string& path, ErrorCode code, const std::string& needle) {
  try {
    ModelFile::open(path);
    FAIL("loaded " << path << ", expected: " << needle);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.code() == code);
    CHECK_THAT(e.what(), Catch::Matchers::Contains(needle));
  }
}

// Swaps the first occurrence of `from` in the metadata block for `to` (same length, so no offset moves).
std::vector<uint8_t> edit_metadata(std::vector<uint8_t> bytes, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  const uint64_t metadata_len = read_u32(bytes, 16);
  std::string_view metadata(reinterpret_cast<const char*>(bytes.data() + 32), metadata_len);
  const size_t at = metadata.find(from);
  REQUIRE(at != std::string_view::npos);
  std::memcpy(bytes.data() + 32 + at, to.data(), to.size());
  reseal(bytes);
  return bytes;
}

std::string metadata_error(const std::string& text) {
  try {
    metadata_from_json(text);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::CorruptModel);
    return e.what();
  }
  FAIL("metadata accepted: " << text);
  return {};
}

// Caps the process's address space for a scope, so that an allocation sized from a damaged file would
// throw std::bad_alloc (and fail the test) instead of quietly succeeding on an overcommitting system.
// Under AddressSanitizer, whose shadow memory needs a huge address space, the cap is left off (ASan
// reports oversized allocations itself).
class AddressSpaceCap {
 public:
  explicit AddressSpaceCap(size_t headroom) {
    getrlimit(RLIMIT_AS, &saved_);
#ifndef __SANITIZE_ADDRESS__
    std::ifstream statm("/proc/self/statm");
    size_t pages = 0;
    statm >> pages;
    rlimit cap = saved_;
    cap.rlim_cur = std::min<rlim_t>(saved_.rlim_max, pages * static_cast<size_t>(sysconf(_SC_PAGESIZE)) + headroom);
    setrlimit(RLIMIT_AS, &cap);
#endif
  }
  ~AddressSpaceCap() { setrlimit(RLIMIT_AS, &saved_); }

 private:
  rlimit saved_{};
};

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("invf_model_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir;
}

std::vector<uint8_t> read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_file_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void check_same_model(const ModelFile& model, const ModelMetadata& metadata, const TensorSet& set) {
  const ModelConfig& a = model.config();
  const ModelConfig& b = metadata.config;
  CHECK(model.format_version() == 1);
  CHECK(a.context_length == b.context_length);
  CHECK(a.patch_length == b.patch_length);
  CHECK(a.stride == b.stride);
  CHECK(a.padding == b.padding);
  CHECK(a.d_model == b.d_model);
  CHECK(a.heads == b.heads);
  CHECK(a.ffn_dim == b.ffn_dim);
  CHECK(a.layers == b.layers);
  CHECK(a.horizon == b.horizon);
  CHECK(a.quantiles == b.quantiles);
  CHECK(a.normalization == b.normalization);
  CHECK(a.revin_affine == b.revin_affine);
  CHECK(a.norm_eps == b.norm_eps);
  CHECK(a.layer_norm_eps == b.layer_norm_eps);
  CHECK(a.quantile_head == b.quantile_head);
  CHECK(model.metadata().features == metadata.features);
  CHECK(model.metadata().provenance == metadata.provenance);
  REQUIRE(model.tensors().size() == set.tensors.size());
  for (size_t t = 0; t < set.tensors.size(); ++t) {
    const TensorView& view = model.tensors()[t];
    const NamedTensor& want = set.tensors[t];
    INFO(want.name);
    CHECK(view.name == want.name);
    CHECK(view.dims == want.dims);
    REQUIRE(view.values.size() == want.values.size());
    CHECK(std::memcmp(view.values.data(), want.values.data(), want.values.size_bytes()) == 0);
  }
}

bool aligned64(const float* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("model expected tensors of the default configuration", "[model]") {
  const ModelConfig c;  // issue 3's benchmark configuration
  validate_config(c);
  CHECK(c.num_tokens() == 42);
  const std::vector<TensorSpec> specs = expected_tensors(c);
  CHECK(specs.size() == 2 + 3 + 12 * 3 + 2 + 2);
  int64_t parameters = 0;
  for (const TensorSpec& s : specs) {
    int64_t n = 1;
    for (int64_t d : s.dims) n *= d;
    parameters += n;
  }
  // revin 2 + patch 128*16+128 + pos 42*128 + 3 layers * 132480 + final 256 + head 252*5376+252.
  CHECK(parameters == 1760254);
  CHECK(specs.front().name == "revin.weight");
  CHECK(specs[2].name == "patch_embed.weight");
  CHECK(specs[2].dims == std::vector<int64_t>{128, 16});
  CHECK(specs[4].name == "pos_embed");
  CHECK(specs[4].dims == std::vector<int64_t>{42, 128});
  CHECK(specs[7].name == "layers.0.attn.qkv.weight");
  CHECK(specs[7].dims == std::vector<int64_t>{384, 128});
  CHECK(specs[13].name == "layers.0.ffn1.weight");
  CHECK(specs[13].dims == std::vector<int64_t>{256, 128});
  CHECK(specs[15].name == "layers.0.ffn2.weight");
  CHECK(specs[15].dims == std::vector<int64_t>{128, 256});
  CHECK(specs[17].name == "layers.1.ln1.weight");
  CHECK(specs[specs.size() - 2].name == "head.weight");
  CHECK(specs[specs.size() - 2].dims == std::vector<int64_t>{28 * 9, 42 * 128});
  CHECK(specs.back().dims == std::vector<int64_t>{28 * 9});

  ModelConfig plain = c;
  plain.padding = PaddingMode::None;  // (336 - 16) / 8 + 1
  CHECK(plain.num_tokens() == 41);
  plain.normalization = NormKind::MeanAbs;
  plain.revin_affine = false;
  const std::vector<TensorSpec> no_affine = expected_tensors(plain);
  CHECK(no_affine.size() == specs.size() - 2);
  CHECK(no_affine.front().name == "patch_embed.weight");
}

TEST_CASE("model config validation names the bad field", "[model]") {
  auto error_of = [](const ModelConfig& c) -> std::string {
    try {
      validate_config(c);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::CorruptModel);
      return e.what();
    }
    return "accepted";
  };
  ModelConfig c = small_config();
  CHECK(error_of(c) == "accepted");
  c.heads = 3;
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("d_model 8 is not divisible by heads 3"));
  c = small_config();
  c.d_model = 65537;
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("d_model = 65537 is outside"));
  c = small_config();
  c.layers = 1025;
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("layers = 1025 is outside"));
  c = small_config();
  c.patch_length = 17;
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("patch_length = 17"));
  c = small_config();
  c.padding = PaddingMode::None;
  c.stride = 3;  // 16 - 4 = 12 is a multiple of 3: fine
  CHECK(error_of(c) == "accepted");
  c.stride = 4;
  c.patch_length = 6;  // 10 is not a multiple of 4
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("must be a multiple of stride"));
  c = small_config();
  c.quantiles = {0.1, 0.9, 0.5};
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("strictly increasing"));
  c.quantiles = {0.0, 0.5};
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("not inside (0, 1)"));
  c.quantiles = {};
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("number of quantiles = 0"));
  c = small_config();
  c.normalization = NormKind::MeanAbs;
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("revin_affine"));
  c.revin_affine = false;
  CHECK(error_of(c) == "accepted");
  c.layer_norm_eps = 0;
  CHECK_THAT(error_of(c), Catch::Matchers::Contains("layer_norm_eps"));
}

TEST_CASE("model metadata JSON round trip and field errors", "[model]") {
  ModelMetadata m = small_metadata();
  m.config.normalization = NormKind::MeanAbs;
  m.config.revin_affine = false;
  m.config.padding = PaddingMode::None;
  m.config.norm_eps = 1e-8;
  const ModelMetadata back = metadata_from_json(metadata_to_json(m));
  CHECK(back.config.normalization == NormKind::MeanAbs);
  CHECK(back.config.padding == PaddingMode::None);
  CHECK(back.config.norm_eps == 1e-8);
  CHECK(back.config.quantiles == m.config.quantiles);
  CHECK(back.features == m.features);
  CHECK(back.provenance == m.provenance);

  const nlohmann::json valid = nlohmann::json::parse(metadata_to_json(small_metadata()));
  auto with = [&](auto&& edit) {
    nlohmann::json j = valid;
    edit(j);
    return metadata_error(j.dump());
  };
  CHECK_THAT(with([](auto& j) { j["config"].erase("d_model"); }),
             Catch::Matchers::Contains("missing field 'config.d_model'"));
  CHECK_THAT(with([](auto& j) { j["config"]["heads"] = "two"; }),
             Catch::Matchers::Contains("'config.heads' must be an integer"));
  CHECK_THAT(with([](auto& j) { j["config"]["heads"] = 2.5; }),
             Catch::Matchers::Contains("'config.heads' must be an integer"));
  CHECK_THAT(with([](auto& j) { j["config"]["d_model"] = 1000000000000LL; }),
             Catch::Matchers::Contains("d_model = 1000000000000 is outside"));
  CHECK_THAT(with([](auto& j) { j["config"]["d_model"] = 18446744073709551615ULL; }),
             Catch::Matchers::Contains("'config.d_model' is too large"));
  CHECK_THAT(with([](auto& j) { j["config"]["layers"] = -1; }), Catch::Matchers::Contains("layers = -1 is outside"));
  CHECK_THAT(with([](auto& j) { j["config"]["padding"] = "start"; }),
             Catch::Matchers::Contains("unknown value 'start' (accepted: none, replicate_end)"));
  CHECK_THAT(with([](auto& j) { j["config"]["normalization"]["kind"] = "zscore"; }),
             Catch::Matchers::Contains("'config.normalization.kind' has unknown value 'zscore'"));
  CHECK_THAT(with([](auto& j) { j["config"]["normalization"].erase("affine"); }),
             Catch::Matchers::Contains("missing field 'config.normalization.affine'"));
  CHECK_THAT(with([](auto& j) { j["config"]["activation"] = "relu"; }), Catch::Matchers::Contains("activation 'relu'"));
  CHECK_THAT(with([](auto& j) { j["config"]["architecture"] = "lstm"; }),
             Catch::Matchers::Contains("architecture 'lstm'"));
  CHECK_THAT(with([](auto& j) { j["config"]["quantiles"] = std::vector<double>(100, 0.5); }),
             Catch::Matchers::Contains("100 quantile levels"));
  CHECK_THAT(with([](auto& j) {
               j["config"]["quantiles"] = {0.1, "half"};
             }),
             Catch::Matchers::Contains("quantile levels must be numbers"));
  CHECK_THAT(with([](auto& j) { j.erase("features"); }), Catch::Matchers::Contains("missing field 'features'"));
  CHECK_THAT(with([](auto& j) { j["features"] = nlohmann::json::array(); }),
             Catch::Matchers::Contains("the list is empty"));
  CHECK_THAT(with([](auto& j) {
               j["features"][0].update({{"role", "past_covariate"}, {"source", "column"}, {"mean", 0.0},
                                        {"scale", 1.0}, {"log_ratio", false}});
             }),
             Catch::Matchers::Contains("0 targets"));
  CHECK_THAT(with([](auto& j) { j["features"].push_back(j["features"][0]); }),
             Catch::Matchers::Contains("'target' appears twice"));
  CHECK_THAT(with([](auto& j) { j["features"][0]["kind"] = "ordinal"; }),
             Catch::Matchers::Contains("'features[].kind' has unknown value 'ordinal'"));
  CHECK_THAT(with([](auto& j) { j["provenance"]["epochs"] = 3; }),
             Catch::Matchers::Contains("provenance field 'epochs' must be a string"));
  CHECK_THAT(metadata_error("{\"config\": "), Catch::Matchers::Contains("not valid JSON"));
  CHECK_THAT(metadata_error("[1, 2]"), Catch::Matchers::Contains("not a JSON object"));
}

TEST_CASE("model metadata: the training objective is a typed field", "[model]") {
  // Files from before the field have no entry: they read as forecasting models, and a
  // forecasting model without one is written without one (their bytes do not change).
  ModelMetadata m = small_metadata();
  REQUIRE(m.provenance.count("objective") == 0);
  CHECK(metadata_from_json(metadata_to_json(m)).objective == TrainingObjective::Forecast);
  CHECK(nlohmann::json::parse(metadata_to_json(m))["provenance"].count("objective") == 0);
  // A pre-trained model says so, and reads back as one.
  m.objective = TrainingObjective::MaskedPatch;
  const std::string text = metadata_to_json(m);
  CHECK(nlohmann::json::parse(text)["provenance"]["objective"] == "masked_patch");
  CHECK(metadata_from_json(text).objective == TrainingObjective::MaskedPatch);
  // The typed field wins over a stale provenance entry (a pre-trained base fine-tuned for
  // forecasting keeps the base's provenance).
  m.provenance["objective"] = "masked_patch";
  m.objective = TrainingObjective::Forecast;
  CHECK(metadata_from_json(metadata_to_json(m)).objective == TrainingObjective::Forecast);
  nlohmann::json j = nlohmann::json::parse(text);
  j["provenance"]["objective"] = "classification";
  CHECK_THAT(metadata_error(j.dump()),
             Catch::Matchers::Contains("provenance objective 'classification' is neither forecast "
                                       "nor masked_patch"));
}

TEST_CASE("model tensor list follows the features", "[model]") {
  ModelMetadata m = small_metadata();
  CHECK(expected_tensors(m).size() == expected_tensors(m.config).size());
  // A known-future promotion (2 levels), a known-future price with its log ratio, a static store
  // (3 levels): embeddings, patch channels 2 + E (price, its ratio, the promotion's embedding),
  // statics E wide, and the decoder.
  FeatureSpec promo{"promo", FeatureKind::Categorical, FeatureRole::FutureCovariate};
  promo.levels = {"0", "1"};
  FeatureSpec price{"price", FeatureKind::Real, FeatureRole::FutureCovariate};
  price.log_ratio = true;
  FeatureSpec store{"store", FeatureKind::Categorical, FeatureRole::StaticCovariate};
  store.levels = {"a", "b", "c"};
  m.features.push_back(promo);
  m.features.push_back(price);
  m.features.push_back(store);
  const ModelConfig& c = m.config;
  const int64_t E = c.embedding_dim, D = c.d_model, Fd = c.decoder_dim;
  const std::vector<TensorSpec> all = expected_tensors(m);
  const std::vector<TensorSpec> encoder = expected_tensors(c);
  REQUIRE(all.size() == encoder.size() + 10);
  for (size_t i = 0; i < encoder.size(); ++i) CHECK(all[i].name == encoder[i].name);
  const std::vector<std::pair<std::string, std::vector<int64_t>>> added = {
      {"features.1.embedding", {3, E}},
      {"features.3.embedding", {4, E}},
      {"covariates.patch.weight", {D, (2 + E) * c.patch_length}},
      {"covariates.static.weight", {D, E}},
      {"covariates.static.bias", {D}},
      {"decoder.known.weight", {Fd, 2 + E}},
      {"decoder.series.weight", {Fd, D + E}},
      {"decoder.series.bias", {Fd}},
      {"decoder.out.weight", {c.num_quantiles(), Fd}},
      {"decoder.out.bias", {c.num_quantiles()}}};
  for (size_t i = 0; i < added.size(); ++i) {
    CHECK(all[encoder.size() + i].name == added[i].first);
    CHECK(all[encoder.size() + i].dims == added[i].second);
  }
  // Covariates without a known-future one (no calendar) have nothing for the decoder to read.
  m.features = {m.features[0], store};
  CHECK_THROWS_MATCHES(expected_tensors(m), Error,
                       Catch::Matchers::Predicate<Error>([](const Error& e) {
                         return e.code() == ErrorCode::CorruptModel &&
                                std::string(e.what()).find("needs a known-future one") != std::string::npos;
                       }));
}

TEST_CASE("model metadata: covariate features round-trip and are validated", "[model]") {
  ModelMetadata m = small_metadata();
  FeatureSpec price{"price", FeatureKind::Real, FeatureRole::FutureCovariate};
  price.mean = 3.25, price.scale = 0.5, price.log_ratio = true;
  FeatureSpec event{"event", FeatureKind::Categorical, FeatureRole::FutureCovariate};
  event.levels = {"", "SuperBowl", "Easter"};
  FeatureSpec month{"month", FeatureKind::Categorical, FeatureRole::FutureCovariate, FeatureSource::Calendar};
  for (int i = 1; i <= 12; ++i) month.levels.push_back(std::to_string(i));
  m.features.insert(m.features.end(), {price, event, month});
  m.config.embedding_dim = 4;
  m.config.decoder_dim = 16;
  const ModelMetadata back = metadata_from_json(metadata_to_json(m));
  CHECK(back.features == m.features);
  CHECK(back.config.embedding_dim == 4);
  CHECK(back.config.decoder_dim == 16);
  // A target-only model writes neither width (older files keep their bytes).
  CHECK(nlohmann::json::parse(metadata_to_json(small_metadata()))["config"].count("embedding_dim") == 0);

  auto error_with = [&](auto edit) {
    nlohmann::json j = nlohmann::json::parse(metadata_to_json(m));
    edit(j);
    return metadata_error(j.dump());
  };
  CHECK_THAT(error_with([](auto& j) { j["features"][1].erase("scale"); }),
             Catch::Matchers::Contains("missing field 'features[].scale'"));
  CHECK_THAT(error_with([](auto& j) { j["features"][1]["scale"] = 0.0; }),
             Catch::Matchers::Contains("'price' needs a finite mean and a positive scale"));
  CHECK_THAT(error_with([](auto& j) { j["features"][2]["levels"] = {"a", "a"}; }),
             Catch::Matchers::Contains("categorical 'event' repeats a level"));
  CHECK_THAT(error_with([](auto& j) { j["features"][2]["levels"] = nlohmann::json::array(); }),
             Catch::Matchers::Contains("categorical 'event' has 0 levels"));
  CHECK_THAT(error_with([](auto& j) { j["features"][3]["name"] = "quarter"; }),
             Catch::Matchers::Contains("calendar feature 'quarter'"));
  CHECK_THAT(error_with([](auto& j) { j["features"][1]["role"] = "static_covariate"; }),
             Catch::Matchers::Contains("log_ratio applies to time-varying real features only ('price')"));
  CHECK_THAT(error_with([](auto& j) { j["features"][1]["source"] = "weather"; }),
             Catch::Matchers::Contains("'features[].source' has unknown value 'weather'"));
  CHECK_THAT(error_with([](auto& j) { j["config"]["embedding_dim"] = 0; }),
             Catch::Matchers::Contains("embedding_dim = 0 is outside"));
}

TEST_CASE("model round trip through a memory buffer", "[model]") {
  const ModelMetadata metadata = small_metadata();
  const TensorSet set = generate_tensors(metadata.config);
  const std::vector<uint8_t> bytes = write_model_buffer(metadata, set.tensors);
  CHECK(bytes.size() < 16384);  // a few KB

  SECTION("copied: owns 64-byte aligned storage, independent of the caller's buffer") {
    std::vector<uint8_t> caller = bytes;
    const ModelFile model = ModelFile::from_buffer(caller, BufferMode::Copy);
    std::fill(caller.begin(), caller.end(), uint8_t{0xAB});
    caller.clear();
    caller.shrink_to_fit();
    check_same_model(model, metadata, set);
    for (const TensorView& t : model.tensors()) CHECK(aligned64(t.values.data()));
  }
  SECTION("borrowed: views into the caller's buffer") {
    const ModelFile model = ModelFile::from_buffer(bytes, BufferMode::Borrow);
    check_same_model(model, metadata, set);
    const TensorView& head = model.tensor("head.weight");
    CHECK(reinterpret_cast<const uint8_t*>(head.values.data()) >= bytes.data());
    CHECK(reinterpret_cast<const uint8_t*>(head.values.data() + head.values.size()) <= bytes.data() + bytes.size());
    CHECK((reinterpret_cast<const uint8_t*>(head.values.data()) - bytes.data()) % 64 == 0);
  }
  SECTION("borrowing a misaligned buffer is refused, copying it works") {
    std::vector<uint8_t> shifted(bytes.size() + 1);
    std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
    const std::span<const uint8_t> odd(shifted.data() + 1, bytes.size());
    try {
      ModelFile::from_buffer(odd, BufferMode::Borrow);
      FAIL("borrowed a misaligned buffer");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK_THAT(e.what(), Catch::Matchers::Contains("aligned"));
    }
    const ModelFile model = ModelFile::from_buffer(odd, BufferMode::Copy);
    check_same_model(model, metadata, set);
  }
  SECTION("lookup by name") {
    const ModelFile model = ModelFile::from_buffer(bytes, BufferMode::Copy);
    CHECK(model.find("layers.0.ffn2.bias") != nullptr);
    CHECK(model.find("layers.1.ffn2.bias") == nullptr);
    CHECK(model.tensor("revin.weight").values[0] == set.tensors[0].values[0]);
    try {
      model.tensor("nope");
      FAIL("found a tensor that does not exist");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK_THAT(e.what(), Catch::Matchers::Contains("'nope'"));
    }
  }
}

TEST_CASE("model round trip through a mapped file", "[model]") {
  const fs::path dir = scratch_dir();
  const fs::path path = dir / "small.invfm";
  const ModelMetadata metadata = small_metadata();
  const TensorSet set = generate_tensors(metadata.config);
  write_model_file(path.string(), metadata, set.tensors);
  CHECK_FALSE(fs::exists(path.string() + ".tmp"));
  CHECK(read_file_bytes(path) == write_model_buffer(metadata, set.tensors));

  std::optional<ModelFile> copy;
  {
    const ModelFile model = ModelFile::open(path.string());
    check_same_model(model, metadata, set);
    for (const TensorView& t : model.tensors()) CHECK(aligned64(t.values.data()));
    copy = model;  // shares the mapping
  }
  fs::remove(path);  // the mapping outlives the directory entry
  check_same_model(*copy, metadata, set);

  expect_open_error((dir / "absent.invfm").string(), ErrorCode::Io, "absent.invfm");
  expect_open_error(dir.string(), ErrorCode::Io, "is a directory");
  try {
    write_model_file((dir / "no_such_dir" / "m.invfm").string(), metadata, set.tensors);
    FAIL("wrote into a missing directory");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::Io);
  }
  fs::remove_all(dir);
}

TEST_CASE("model writer output is deterministic", "[model]") {
  const ModelMetadata metadata = small_metadata();
  const TensorSet set = generate_tensors(metadata.config);
  const std::vector<uint8_t> first = write_model_buffer(metadata, set.tensors);
  const std::vector<uint8_t> second = write_model_buffer(metadata, set.tensors);
  CHECK(first == second);
  // The caller's tensor order does not matter: the file uses the canonical order.
  std::vector<NamedTensor> reversed(set.tensors.rbegin(), set.tensors.rend());
  CHECK(write_model_buffer(metadata, reversed) == first);

  const fs::path dir = scratch_dir();
  write_model_file((dir / "a.invfm").string(), metadata, set.tensors);
  write_model_file((dir / "b.invfm").string(), metadata, reversed);
  CHECK(read_file_bytes(dir / "a.invfm") == read_file_bytes(dir / "b.invfm"));
  fs::remove_all(dir);

  // Fixed layout facts a reader in another language can rely on.
  CHECK(std::memcmp(first.data(), "INVFMDL\0", 8) == 0);
  CHECK(read_u32(first, 8) == 1);
  CHECK(read_u32(first, 12) == set.tensors.size());
  CHECK(read_u32(first, first.size() - 4) ==
        static_cast<uint32_t>(crc32(0L, first.data(), static_cast<uInt>(first.size() - 4))));
}

TEST_CASE("model writer rejects what it cannot store", "[model]") {
  const ModelMetadata metadata = small_metadata();
  auto writer_error = [&](const ModelMetadata& m, const std::vector<NamedTensor>& tensors) -> std::string {
    try {
      write_model_buffer(m, tensors);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      return e.what();
    }
    return "written";
  };
  TensorSet set = generate_tensors(metadata.config);
  CHECK(writer_error(metadata, set.tensors) == "written");

  std::vector<NamedTensor> tensors = set.tensors;
  tensors.pop_back();
  CHECK_THAT(writer_error(metadata, tensors), Catch::Matchers::Contains("'head.bias' [9] is missing"));
  tensors = set.tensors;
  tensors.push_back(tensors[0]);
  CHECK_THAT(writer_error(metadata, tensors), Catch::Matchers::Contains("'revin.weight' is given twice"));
  tensors = set.tensors;
  tensors.push_back({"extra", {1}, set.tensors[0].values});
  CHECK_THAT(writer_error(metadata, tensors), Catch::Matchers::Contains("'extra' is not a parameter"));
  tensors = set.tensors;
  tensors[2].dims = {4, 8};
  CHECK_THAT(writer_error(metadata, tensors),
             Catch::Matchers::Contains("'patch_embed.weight' has shape [4, 8], expected [8, 4]"));
  tensors = set.tensors;
  tensors[2].values = tensors[2].values.first(31);
  CHECK_THAT(writer_error(metadata, tensors), Catch::Matchers::Contains("has 31 values"));
  set.storage[3][5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THAT(writer_error(metadata, set.tensors),
             Catch::Matchers::Contains("'patch_embed.bias' holds a non-finite value at index 5"));
  set.storage[3][5] = 0.0f;
  ModelMetadata bad = metadata;
  bad.config.heads = 3;
  CHECK_THAT(writer_error(bad, set.tensors), Catch::Matchers::Contains("not divisible by heads"));
}

TEST_CASE("model truncated at every length fails cleanly", "[model]") {
  const std::vector<uint8_t> bytes = small_model_bytes();
  for (size_t length = 0; length < bytes.size(); ++length) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    INFO("length " << length);
    try {
      ModelFile::from_buffer(cut, BufferMode::Copy);
      FAIL("a truncated model loaded");
    } catch (const Error& e) {
      REQUIRE(e.code() == ErrorCode::CorruptModel);
      if (length < 36) REQUIRE_THAT(e.what(), Catch::Matchers::Contains("shorter than the 36-byte minimum"));
    }
  }
  // Through the file path as well, at a few lengths including an empty file.
  const fs::path dir = scratch_dir();
  for (size_t length :
       {size_t{0}, size_t{7}, size_t{35}, size_t{36}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    const fs::path path = dir / "cut.invfm";
    write_file_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length)));
    INFO("length " << length);
    expect_open_error(path.string(), ErrorCode::CorruptModel, "cut.invfm");
  }
  fs::remove_all(dir);
}

TEST_CASE("model with any single flipped byte fails cleanly", "[model]") {
  const std::vector<uint8_t> bytes = small_model_bytes();
  for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
    std::vector<uint8_t> damaged = bytes;
    for (size_t at = 0; at < bytes.size(); ++at) {
      damaged[at] ^= mask;
      INFO("offset " << at << " mask " << int(mask));
      try {
        ModelFile::from_buffer(damaged, BufferMode::Borrow);
        FAIL("a damaged model loaded");
      } catch (const Error& e) {
        REQUIRE(e.code() == ErrorCode::CorruptModel);
      }
      damaged[at] = bytes[at];
    }
  }
  // Past the fixed header, a flip is caught by the checksum.
  std::vector<uint8_t> damaged = bytes;
  damaged[bytes.size() / 2] ^= 0x10;
  expect_corrupt(damaged, "checksum mismatch");
}

TEST_CASE("model with a flipped byte and a recomputed checksum never crashes", "[model]") {
  // With the checksum made to match, the damage reaches the structural checks: each file either loads
  // (a changed provenance letter or tensor value) or fails with CorruptModel; nothing else may happen.
  const std::vector<uint8_t> bytes = small_model_bytes();
  size_t loaded = 0, refused = 0, preamble_refused = 0;
  for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x20}, uint8_t{0x80}, uint8_t{0xFF}}) {
    std::vector<uint8_t> damaged = bytes;
    for (size_t at = 0; at + 4 < bytes.size(); ++at) {
      damaged[at] ^= mask;
      reseal(damaged);
      INFO("offset " << at << " mask " << int(mask));
      try {
        ModelFile::from_buffer(damaged, BufferMode::Borrow);
        ++loaded;
      } catch (const Error& e) {
        // Raising the format version (bytes 8..11) makes a file of a later format, not a damaged one.
        const bool newer_version = at >= 8 && at < 12 && read_u32(damaged, 8) > kModelFormatVersion;
        REQUIRE(e.code() == (newer_version ? ErrorCode::Unsupported : ErrorCode::CorruptModel));
        ++refused;
        preamble_refused += at < 32;
      }
      damaged[at] = bytes[at];
    }
  }
  // Every change to the 32-byte preamble is refused; most tensor bytes are free values.
  CHECK(preamble_refused == 4 * 32);
  CHECK(loaded > 0);
  CHECK(refused > preamble_refused);
}

TEST_CASE("model header damage is named", "[model]") {
  const std::vector<uint8_t> bytes = small_model_bytes();
  CHECK_NOTHROW(ModelFile::from_buffer(bytes, BufferMode::Borrow));

  std::vector<uint8_t> b = bytes;
  b[0] = 'X';
  expect_corrupt(b, "bad magic");

  // A later format is not damage: the file is refused as unsupported, naming both versions.
  b = bytes;
  write_u32(b, 8, 2);
  reseal(b);
  expect_load_error(b, ErrorCode::Unsupported, "format version 2 is newer than this library's 1");
  write_u32(b, 8, 0xFFFFFFFF);
  reseal(b);
  expect_load_error(b, ErrorCode::Unsupported, "format version 4294967295 is newer than this library's 1");
  // Cut below the preamble, even a newer file's version cannot be read: still corrupt.
  expect_corrupt(std::vector<uint8_t>(b.begin(), b.begin() + 20), "shorter than the");
  write_u32(b, 8, 0);
  reseal(b);
  expect_corrupt(b, "format version 0 is invalid");

  b = bytes;
  write_u64(b, 24, bytes.size());
  reseal(b);
  expect_corrupt(b, "header length");
  write_u64(b, 24, ~uint64_t{0});
  reseal(b);
  expect_corrupt(b, "header length");
  write_u64(b, 24, 8);
  reseal(b);
  expect_corrupt(b, "header length 8");

  b = bytes;
  write_u64(b, 16, ~uint64_t{0} - 7);
  reseal(b);
  expect_corrupt(b, "metadata length");

  b = bytes;
  write_u32(b, b.size() - 4, read_u32(b, b.size() - 4) ^ 1u);
  expect_corrupt(b, "checksum mismatch");
}

TEST_CASE("model metadata damage is named", "[model]") {
  const std::vector<uint8_t> bytes = small_model_bytes();
  expect_corrupt(edit_metadata(bytes, "{\"config\"", "[\"config\""), "not valid JSON");
  expect_corrupt(edit_metadata(bytes, "\"d_model\":8", "\"d_model\":0"), "d_model = 0 is outside");
  expect_corrupt(edit_metadata(bytes, "\"heads\":2", "\"heads\":3"), "not divisible by heads 3");
  expect_corrupt(edit_metadata(bytes, "\"d_model\":8", "\"d_mode_\":8"), "missing field 'config.d_model'");
  // Same config text but a different number of layers: the tensors no longer match.
  expect_corrupt(edit_metadata(bytes, "\"layers\":1", "\"layers\":2"), "'layers.1.ln1.weight' [8] is missing");
  // A config change that reshapes tensors is caught by name.
  expect_corrupt(edit_metadata(bytes, "\"horizon\":3", "\"horizon\":4"),
                 "tensor 'head.weight' has shape [9, 64], expected [12, 64]");

  // Absurd sizes that are within the limits on their own still meet the tensor table, not the allocator.
  RawFile raw = small_raw_file();
  nlohmann::json j = nlohmann::json::parse(raw.metadata);
  j["config"]["d_model"] = 65536;
  j["config"]["heads"] = 1024;
  j["config"]["ffn_dim"] = 262144;
  j["config"]["layers"] = 1024;
  j["config"]["context_length"] = 65536;
  j["config"]["patch_length"] = 1;
  j["config"]["stride"] = 1;
  raw.metadata = j.dump();
  raw.lay_out();
  {
    AddressSpaceCap cap(size_t{1} << 30);
    expect_corrupt(raw.encode(), "tokens = 65537 is outside");
  }
  j["config"]["context_length"] = 16383;
  raw.metadata = j.dump();
  raw.lay_out();
  {
    AddressSpaceCap cap(size_t{1} << 30);
    // Within every limit, yet the stored tensors are far smaller than the config implies.
    expect_corrupt(raw.encode(), "tensor 'patch_embed.weight' has shape [8, 4], expected [65536, 1]");
  }

  // Deeply nested JSON must not exhaust the stack.
  RawFile deep = small_raw_file();
  deep.metadata = std::string(200000, '[') + std::string(200000, ']');
  deep.lay_out();
  expect_corrupt(deep.encode(), "not a JSON object");
}

TEST_CASE("model tensor table damage is named", "[model]") {
  SECTION("an independently assembled file loads") {
    const RawFile raw = small_raw_file();
    const ModelFile model = ModelFile::from_buffer(raw.encode(), BufferMode::Copy);
    check_same_model(model, small_metadata(), generate_tensors(small_config()));
  }
  SECTION("wrong shape, by name") {
    RawFile raw = small_raw_file();
    raw_tensor(raw, "patch_embed.weight").dims = {4, 8};
    expect_corrupt(raw.encode(), "tensor 'patch_embed.weight' has shape [4, 8], expected [8, 4]");
    raw = small_raw_file();
    raw_tensor(raw, "layers.0.attn.qkv.weight").dims = {24, 8, 1};
    raw.lay_out();
    expect_corrupt(raw.encode(), "tensor 'layers.0.attn.qkv.weight' has shape [24, 8, 1], expected [24, 8]");
  }
  SECTION("missing, unexpected and duplicated tensors") {
    RawFile raw = small_raw_file();
    raw.tensors.erase(raw.tensors.begin() + 4);  // pos_embed
    raw.lay_out();
    expect_corrupt(raw.encode(), "tensor 'pos_embed' [8, 8] is missing");
    raw = small_raw_file();
    raw.tensors.push_back(RawTensor{"decoder.weight", 1, {2}, 0, 0, {1.0f, 2.0f}});
    raw.lay_out();
    expect_corrupt(raw.encode(), "tensor 'decoder.weight' is not a parameter of this config");
    raw = small_raw_file();
    raw.tensors.push_back(raw.tensors[1]);
    raw.lay_out();
    expect_corrupt(raw.encode(), "tensor 'revin.bias' appears twice");
  }
  SECTION("offsets outside the data region, misaligned, overlapping") {
    RawFile raw = small_raw_file();
    RawTensor& head = raw_tensor(raw, "head.weight");
    head.offset += 4;
    expect_corrupt(raw.encode(), "'head.weight' data offset");
    expect_corrupt(raw.encode(), "is not a multiple of 64");
    // The table points elsewhere; the data stay where they were laid out.
    auto point_elsewhere = [](RawTensor& t, uint64_t offset) {
      t.offset = offset;
      t.values.clear();
    };
    raw = small_raw_file();
    point_elsewhere(raw_tensor(raw, "patch_embed.weight"), 0);  // inside the header
    expect_corrupt(raw.encode(), "'patch_embed.weight' data [0, +128) lies outside the data region");
    raw = small_raw_file();
    point_elsewhere(raw_tensor(raw, "head.bias"), uint64_t{1} << 62);
    expect_corrupt(raw.encode(), "'head.bias' data [4611686018427387904, +36) lies outside");
    raw = small_raw_file();
    point_elsewhere(raw_tensor(raw, "head.weight"), ~uint64_t{63});  // offset + 2304 bytes wraps around
    expect_corrupt(raw.encode(), "lies outside");
    raw = small_raw_file();
    RawTensor& last = raw.tensors.back();
    point_elsewhere(last, last.offset + 64);  // past the end of the file by one block
    expect_corrupt(raw.encode(), "'head.bias' data [");
    raw = small_raw_file();
    raw_tensor(raw, "patch_embed.bias").offset = raw_tensor(raw, "patch_embed.weight").offset;
    expect_corrupt(raw.encode(), "tensors 'patch_embed.weight' and 'patch_embed.bias' overlap");
  }
  SECTION("lengths, dtypes, ranks and names") {
    RawFile raw = small_raw_file();
    raw_tensor(raw, "pos_embed").length -= 4;
    expect_corrupt(raw.encode(), "'pos_embed' of shape [8, 8] has 252 data bytes, expected 256");
    raw = small_raw_file();
    raw_tensor(raw, "pos_embed").dtype = 2;
    expect_corrupt(raw.encode(), "'pos_embed' has dtype code 2, only f32 (1) is known");
    raw = small_raw_file();
    raw_tensor(raw, "pos_embed").dims = {};
    raw.lay_out();
    expect_corrupt(raw.encode(), "'pos_embed' has rank 0");
    raw = small_raw_file();
    raw_tensor(raw, "pos_embed").dims = std::vector<uint64_t>(9, 1);
    raw.lay_out();
    expect_corrupt(raw.encode(), "'pos_embed' has rank 9");
    raw = small_raw_file();
    raw_tensor(raw, "pos_embed").dims = {8, 0};
    expect_corrupt(raw.encode(), "'pos_embed' has dimension 1 = 0");
    raw = small_raw_file();
    raw_tensor(raw, "pos_embed").name = "pos embed";
    expect_corrupt(raw.encode(), "non-printable");
    raw = small_raw_file();
    raw_tensor(raw, "pos_embed").name = "";
    raw.lay_out();
    expect_corrupt(raw.encode(), "has a name of 0 bytes");
    raw = small_raw_file();
    raw_tensor(raw, "pos_embed").name = std::string(257, 'p');
    raw.lay_out();
    expect_corrupt(raw.encode(), "has a name of 257 bytes");
  }
  SECTION("absurd dimensions are refused without allocating") {
    AddressSpaceCap cap(size_t{1} << 30);
    RawFile raw = small_raw_file();
    raw_tensor(raw, "head.weight").dims = {uint64_t{1} << 40, uint64_t{1} << 40};
    expect_corrupt(raw.encode(), "'head.weight' has dimension 0 = 1099511627776, impossible in a");
    raw = small_raw_file();
    raw_tensor(raw, "head.weight").dims = {~uint64_t{0}};
    raw.lay_out();
    expect_corrupt(raw.encode(), "'head.weight' has dimension 0 = 18446744073709551615, impossible");
    raw = small_raw_file();
    raw_tensor(raw, "head.weight").dims = {1000, 1000, 1000};  // each fits the file, the product does not
    raw.lay_out();
    expect_corrupt(raw.encode(), "'head.weight' has more elements than a");
    raw = small_raw_file();
    raw.tensor_count = 0xFFFFFFFFu;
    expect_corrupt(raw.encode(), "4294967295 tensors cannot fit");
    raw = small_raw_file();
    raw.tensor_count = static_cast<uint32_t>(raw.tensors.size() + 1);
    expect_corrupt(raw.encode(), "cut short");
  }
  SECTION("table and header must end together") {
    RawFile raw = small_raw_file();
    raw.table_suffix = {0, 0, 0, 0};
    raw.lay_out();
    expect_corrupt(raw.encode(), "4 bytes left between the tensor table's end and the header end");
    raw = small_raw_file();
    raw.tensor_count = static_cast<uint32_t>(raw.tensors.size() - 1);
    expect_corrupt(raw.encode(), "bytes left between the tensor table's end");
  }
  SECTION("non-finite values") {
    RawFile raw = small_raw_file();
    raw_tensor(raw, "layers.0.ffn1.bias").values[7] = std::numeric_limits<float>::infinity();
    expect_corrupt(raw.encode(), "'layers.0.ffn1.bias' holds a non-finite value at index 7");
  }
  SECTION("a covariate model lacking a covariate tensor") {
    RawFile raw = small_raw_file();
    nlohmann::json j = nlohmann::json::parse(raw.metadata);
    j["features"].push_back({{"name", "day_of_month"}, {"kind", "real"}, {"role", "future_covariate"},
                             {"source", "calendar"}, {"mean", 15.5}, {"scale", 8.8}, {"log_ratio", false}});
    raw.metadata = j.dump();
    raw.lay_out();
    expect_corrupt(raw.encode(), "covariates.patch.weight");
  }
}

// ---------------------------------------------------------------------------
// Frozen v1 fixtures.  tests/fixtures/model/*.invfm were written once by frozen_fixture() below through
// write_model_file (see tests/fixtures/model/README.md); they are never regenerated, and every later
// version of the library must keep loading them with exactly these contents.

namespace {

struct FrozenFixture {
  const char* file;
  ModelMetadata metadata;
  // The generator gives revin.weight -0.75, a file the encoder refuses to run
  // (the gain must be positive); fixture 2 stores +0.75 instead.
  bool positive_revin_gain = false;
};

TensorSet fixture_tensors(const FrozenFixture& fixture) {
  TensorSet set = generate_tensors(fixture.metadata.config);
  if (fixture.positive_revin_gain)
    for (size_t t = 0; t < set.tensors.size(); ++t)
      if (set.tensors[t].name == "revin.weight") set.storage[t][0] = 0.75f;
  return set;
}

FrozenFixture frozen_fixture(int which) {
  if (which == 0) {
    ModelMetadata m = small_metadata();
    m.config.horizon = 2;
    m.config.quantiles = {0.05, 0.5, 0.95};
    m.provenance = {{"generator", "tests/test_model_file.cpp frozen_fixture(0)"}, {"format", "v1"}};
    return {"v1_small_revin.invfm", m};
  }
  if (which == 2) {
    ModelMetadata m = small_metadata();
    m.config.horizon = 2;
    m.config.quantiles = {0.05, 0.5, 0.95};
    m.provenance = {{"generator", "tests/test_model_file.cpp frozen_fixture(2)"}, {"format", "v1"}};
    return {"v1_small_revin_runnable.invfm", m, true};
  }
  ModelMetadata m = small_metadata();
  m.config.context_length = 12;
  m.config.patch_length = 4;
  m.config.stride = 4;
  m.config.padding = PaddingMode::None;  // (12 - 4) / 4 + 1 = 3 tokens
  m.config.d_model = 4;
  m.config.heads = 2;
  m.config.ffn_dim = 8;
  m.config.layers = 2;
  m.config.horizon = 2;
  m.config.quantiles = {0.5};
  m.config.normalization = NormKind::MeanAbs;
  m.config.revin_affine = false;
  m.config.norm_eps = 1e-6;
  m.config.layer_norm_eps = 1e-6;
  m.provenance = {{"generator", "tests/test_model_file.cpp frozen_fixture(1)"}, {"format", "v1"}};
  return {"v1_tiny_meanabs.invfm", m};
}

}  // namespace

TEST_CASE("model frozen v1 fixtures keep loading", "[model]") {
  const fs::path dir = fs::path(INVF_TEST_FIXTURES) / "model";
  // Set INVF_WRITE_MODEL_FIXTURES=1 only to create a fixture that does not exist yet: frozen files are
  // never overwritten.
  const char* create = std::getenv("INVF_WRITE_MODEL_FIXTURES");
  for (int which = 0; which < 3; ++which) {
    const FrozenFixture fixture = frozen_fixture(which);
    const fs::path path = dir / fixture.file;
    const TensorSet set = fixture_tensors(fixture);
    if (create && std::string(create) == "1" && !fs::exists(path)) {
      fs::create_directories(dir);
      write_model_file(path.string(), fixture.metadata, set.tensors);
    }
    INFO(path.string());
    REQUIRE(fs::exists(path));
    const ModelFile model = ModelFile::open(path.string());
    check_same_model(model, fixture.metadata, set);
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    check_same_model(ModelFile::from_buffer(bytes, BufferMode::Copy), fixture.metadata, set);
  }

  // Spelled-out values, independent of the generator, in case it is ever edited by mistake.
  const ModelFile small = ModelFile::open((dir / "v1_small_revin.invfm").string());
  CHECK(small.config().context_length == 16);
  CHECK(small.config().num_tokens() == 8);
  CHECK(small.config().d_model == 8);
  CHECK(small.config().heads == 2);
  CHECK(small.config().layers == 1);
  CHECK(small.config().horizon == 2);
  CHECK(small.config().quantiles == std::vector<double>{0.05, 0.5, 0.95});
  CHECK(small.config().normalization == NormKind::Revin);
  CHECK(small.metadata().features.size() == 1);
  CHECK(small.metadata().features[0].name == "target");
  CHECK(small.tensor("revin.weight").values[0] == -0.75f);    // (0 * 37 + 0) % 97 - 48 = -48
  CHECK(small.tensor("revin.bias").values[0] == -0.171875f);  // 37 - 48 = -11
  CHECK(small.tensor("head.weight").dims == std::vector<int64_t>{6, 64});
  CHECK(small.tensor("head.bias").values[5] == -0.453125f);  // tensor 20: (740 + 55) % 97 - 48 = -29
  const ModelFile runnable = ModelFile::open((dir / "v1_small_revin_runnable.invfm").string());
  CHECK(runnable.tensor("revin.weight").values[0] == 0.75f);
  CHECK(runnable.tensor("revin.bias").values[0] == -0.171875f);
  const ModelFile tiny = ModelFile::open((dir / "v1_tiny_meanabs.invfm").string());
  CHECK(tiny.config().num_tokens() == 3);
  CHECK(tiny.config().padding == PaddingMode::None);
  CHECK(tiny.config().normalization == NormKind::MeanAbs);
  CHECK(tiny.config().norm_eps == 1e-6);
  CHECK(tiny.tensors().size() == 3 + 12 * 2 + 4);
  CHECK(tiny.tensor("layers.1.attn.qkv.weight").dims == std::vector<int64_t>{12, 4});
  CHECK(tiny.tensor("patch_embed.weight").values[0] == -0.75f);  // first tensor: (0) - 48
}

TEST_CASE("a frozen v1 file raised to format version 2 is unsupported, not corrupt", "[model]") {
  // What a later library's file looks like to this one: the frozen fixture with its version field
  // raised and its checksum re-sealed, so only the version is new.
  const fs::path frozen = fs::path(INVF_TEST_FIXTURES) / "model" / "v1_tiny_meanabs.invfm";
  std::vector<uint8_t> newer = read_file_bytes(frozen);
  REQUIRE(read_u32(newer, 8) == 1);
  write_u32(newer, 8, 2);
  reseal(newer);
  const fs::path dir = scratch_dir();
  const fs::path path = dir / "from_v2.invfm";
  write_file_bytes(path, newer);
  expect_open_error(path.string(), ErrorCode::Unsupported,
                    "'" + path.string() + "': model file: format version 2 is newer than this library's 1");
  // Cut inside its 32-byte preamble, the file is corrupt whatever its version field says.
  write_file_bytes(path, std::vector<uint8_t>(newer.begin(), newer.begin() + 30));
  expect_open_error(path.string(), ErrorCode::CorruptModel, "shorter than the 36-byte minimum");
  fs::remove_all(dir);
}
