// LoRA adapters through the C ABI (invf_model_load_adapter,
// invf_model_save_adapter), with adapter files written here by an
// independent writer that follows the layout documented in
// lib/train/lora.hpp, over the frozen fixture v1_tiny_meanabs.invfm:
// an adapter with B = 0 reproduces its base bit for bit; one with B != 0
// changes the forecast; the adapter saved back is byte-identical; another
// base, a damaged or truncated file, a missing file and bad arguments give
// the documented codes.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "capi_support.hpp"

namespace {

using Bytes = std::vector<unsigned char>;

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), bit by bit; `crc` chains calls.
uint32_t crc32(const unsigned char* data, size_t size, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint64_t get_le(const Bytes& b, size_t offset, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | b[offset + static_cast<size_t>(i)];
  return v;
}

void put_le(Bytes& b, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

struct TensorEntry {
  std::string name;
  size_t offset = 0, length = 0;
};

// The tensor table of a model file (model_file.hpp): entries in file order.
std::vector<TensorEntry> tensor_table(const Bytes& model) {
  const auto count = static_cast<size_t>(get_le(model, 12, 4));
  size_t pos = 32 + static_cast<size_t>(get_le(model, 16, 8));
  std::vector<TensorEntry> entries;
  for (size_t t = 0; t < count; ++t) {
    TensorEntry e;
    const auto name_length = static_cast<size_t>(get_le(model, pos, 4));
    e.name.assign(reinterpret_cast<const char*>(model.data() + pos + 4), name_length);
    pos += 4 + name_length + 4;  // name, dtype
    const auto rank = static_cast<size_t>(get_le(model, pos, 4));
    pos += 4 + 8 * rank;
    e.offset = static_cast<size_t>(get_le(model, pos, 8));
    e.length = static_cast<size_t>(get_le(model, pos + 8, 8));
    pos += 16;
    entries.push_back(e);
  }
  return entries;
}

// parameters_checksum() of a model: CRC-32 chained over every tensor's bytes in table order.
uint32_t base_checksum(const Bytes& model) {
  uint32_t crc = 0;
  for (const TensorEntry& e : tensor_table(model))
    crc = crc32(model.data() + e.offset, e.length, crc);
  return crc;
}

struct Factor {
  std::string target;
  uint32_t out = 0, in = 0;
  std::vector<float> a, b;  // [rank, in], [out, rank]
};

Bytes adapter_file(uint32_t rank, double alpha, uint32_t checksum,
                   const std::vector<Factor>& factors) {
  Bytes b = {'I', 'N', 'V', 'F', 'L', 'O', 'R', 'A'};
  put_le(b, 1, 4);
  put_le(b, rank, 4);
  uint64_t alpha_bits = 0;
  std::memcpy(&alpha_bits, &alpha, 8);
  put_le(b, alpha_bits, 8);
  put_le(b, checksum, 4);
  put_le(b, factors.size(), 4);
  for (const Factor& f : factors) {
    put_le(b, f.target.size(), 4);
    b.insert(b.end(), f.target.begin(), f.target.end());
    put_le(b, f.out, 4);
    put_le(b, f.in, 4);
    for (const std::vector<float>* values : {&f.a, &f.b})
      for (float v : *values) {
        uint32_t bits = 0;
        std::memcpy(&bits, &v, 4);
        put_le(b, bits, 4);
      }
  }
  put_le(b, crc32(b.data(), b.size()), 4);
  return b;
}

// Rank 2 over both layers' ffn1 weights [8, 4]; B all `b_value`.
std::vector<Factor> ffn1_factors(float b_value) {
  std::vector<Factor> factors;
  for (const char* target : {"layers.0.ffn1.weight", "layers.1.ffn1.weight"}) {
    Factor f{target, 8, 4, {}, {}};
    for (int i = 0; i < 2 * 4; ++i) f.a.push_back(0.125f * static_cast<float>(i % 5) - 0.25f);
    f.b.assign(8 * 2, b_value);
    factors.push_back(f);
  }
  return factors;
}

struct Model {
  invf_model* raw = nullptr;
  Model() = default;
  Model(const Model&) = delete;
  ~Model() { invf_model_release(raw); }
};

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("invf_capi_adapter_" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const char* name) const { return (path / name).string(); }
};

// Two series of the fixture's 12-day context; horizon 2 x 1 quantile each.
std::vector<float> forecast(const invf_model* model) {
  std::vector<float> context(2 * 12);
  for (size_t i = 0; i < context.size(); ++i) context[i] = static_cast<float>(1 + (i * 7) % 5);
  std::vector<float> out(2 * 2);
  REQUIRE_OK(invf_model_forecast(model, context.data(), 2, 12, out.data(), out.size()));
  return out;
}

}  // namespace

TEST_CASE("a LoRA adapter loads over its base and saves back unchanged", "[capi][adapter]") {
  const std::string base_path = fixture("model/v1_tiny_meanabs.invfm");
  const uint32_t checksum = base_checksum(read_bytes(base_path));
  TempDir dir;
  Model base;
  REQUIRE_OK(invf_model_load(base_path.c_str(), nullptr, &base.raw));
  const std::vector<float> base_forecast = forecast(base.raw);

  // B = 0: W + s B A = W exactly, so the forecast is the base's bit for bit.
  write_bytes(dir.file("zero.invfa"), adapter_file(2, 4.0, checksum, ffn1_factors(0.0f)));
  Model same;
  REQUIRE_OK(invf_model_load_adapter(base.raw, dir.file("zero.invfa").c_str(), nullptr, &same.raw));
  CHECK(forecast(same.raw) == base_forecast);

  // B != 0 moves the forecast; the model reports its fine-tune and saves the adapter as read.
  const Bytes moved_file = adapter_file(2, 4.0, checksum, ffn1_factors(0.5f));
  write_bytes(dir.file("moved.invfa"), moved_file);
  Model moved;
  REQUIRE_OK(
      invf_model_load_adapter(base.raw, dir.file("moved.invfa").c_str(), nullptr, &moved.raw));
  CHECK(forecast(moved.raw) != base_forecast);
  const char* finetune = nullptr;
  REQUIRE_OK(invf_model_provenance(moved.raw, "finetune", &finetune));
  CHECK(std::string(finetune) == "lora");
  REQUIRE_OK(invf_model_save_adapter(moved.raw, dir.file("saved.invfa").c_str()));
  CHECK(read_bytes(dir.file("saved.invfa")) == moved_file);
  CHECK_FALSE(std::filesystem::exists(dir.file("saved.invfa.tmp")));
  // Saved as a whole model, the merge stands alone and forecasts the same.
  REQUIRE_OK(invf_model_save(moved.raw, dir.file("merged.invfm").c_str()));
  Model merged;
  REQUIRE_OK(invf_model_load(dir.file("merged.invfm").c_str(), nullptr, &merged.raw));
  CHECK(forecast(merged.raw) == forecast(moved.raw));
}

TEST_CASE("adapters for another base, damaged files and bad arguments are refused",
          "[capi][adapter]") {
  const std::string base_path = fixture("model/v1_tiny_meanabs.invfm");
  const Bytes base_bytes = read_bytes(base_path);
  const uint32_t checksum = base_checksum(base_bytes);
  TempDir dir;
  Model base;
  REQUIRE_OK(invf_model_load(base_path.c_str(), nullptr, &base.raw));
  const Bytes good = adapter_file(2, 4.0, checksum, ffn1_factors(0.5f));
  Model out;

  // Another base: the fixture with one weight changed (and its file checksum redone).
  Bytes other_bytes = base_bytes;
  const TensorEntry head = tensor_table(other_bytes).back();
  other_bytes[head.offset] ^= 0x01;
  const size_t body = other_bytes.size() - 4;
  const uint32_t file_crc = crc32(other_bytes.data(), body);
  for (int i = 0; i < 4; ++i)
    other_bytes[body + static_cast<size_t>(i)] = static_cast<unsigned char>(file_crc >> (8 * i));
  Model other;
  REQUIRE_OK(invf_model_load_buffer(other_bytes.data(), other_bytes.size(), nullptr, &other.raw));
  write_bytes(dir.file("good.invfa"), good);
  REQUIRE_FAILS(
      invf_model_load_adapter(other.raw, dir.file("good.invfa").c_str(), nullptr, &out.raw),
      INVF_ERR_INVALID_ARGUMENT, "made for a base model with checksum");
  CHECK(out.raw == nullptr);

  // A target the base does not have.
  std::vector<Factor> unknown = ffn1_factors(0.5f);
  unknown[1].target = "layers.2.ffn1.weight";
  write_bytes(dir.file("unknown.invfa"), adapter_file(2, 4.0, checksum, unknown));
  REQUIRE_FAILS(
      invf_model_load_adapter(base.raw, dir.file("unknown.invfa").c_str(), nullptr, &out.raw),
      INVF_ERR_INVALID_ARGUMENT, "no tensor 'layers.2.ffn1.weight'");

  Bytes damaged = good;
  damaged[40] ^= 0x20;
  write_bytes(dir.file("damaged.invfa"), damaged);
  REQUIRE_FAILS(
      invf_model_load_adapter(base.raw, dir.file("damaged.invfa").c_str(), nullptr, &out.raw),
      INVF_ERR_CORRUPT_MODEL, "checksum mismatch");
  write_bytes(dir.file("short.invfa"), Bytes(good.begin(), good.begin() + 30));
  REQUIRE_FAILS(
      invf_model_load_adapter(base.raw, dir.file("short.invfa").c_str(), nullptr, &out.raw),
      INVF_ERR_CORRUPT_MODEL, "truncated");
  REQUIRE_FAILS(invf_model_load_adapter(base.raw, base_path.c_str(), nullptr, &out.raw),
                INVF_ERR_CORRUPT_MODEL, "bad magic");
  REQUIRE_FAILS(
      invf_model_load_adapter(base.raw, dir.file("missing.invfa").c_str(), nullptr, &out.raw),
      INVF_ERR_IO, "cannot open adapter file");
  CHECK(out.raw == nullptr);

  REQUIRE_FAILS(invf_model_save_adapter(base.raw, dir.file("none.invfa").c_str()),
                INVF_ERR_INVALID_ARGUMENT, "has no LoRA adapter");
  REQUIRE_FAILS(invf_model_load_adapter(nullptr, dir.file("good.invfa").c_str(), nullptr, &out.raw),
                INVF_ERR_NULL_POINTER, "'base'");
  REQUIRE_FAILS(invf_model_load_adapter(base.raw, nullptr, nullptr, &out.raw),
                INVF_ERR_NULL_POINTER, "'path'");
  REQUIRE_FAILS(invf_model_load_adapter(base.raw, dir.file("good.invfa").c_str(), nullptr, nullptr),
                INVF_ERR_NULL_POINTER, "'out'");
  REQUIRE_FAILS(invf_model_save_adapter(nullptr, "x"), INVF_ERR_NULL_POINTER, "'model'");
}
