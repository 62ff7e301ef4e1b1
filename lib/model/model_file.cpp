#include "model/model_file.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <new>
#include <variant>

#include "error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_io.hpp"
#include "io/mapped_file.hpp"

namespace invforecast {

// Tensor data are used in place as floats: the format's little-endian f32 must be the host's.
static_assert(std::endian::native == std::endian::little, "model files are read in place on little-endian hosts");

namespace {

constexpr size_t kPreambleSize = 32;
constexpr size_t kChecksumSize = 4;
constexpr uint32_t kDtypeF32 = 1;
constexpr uint32_t kMaxRank = 8;
constexpr uint32_t kMaxNameLength = 256;
// name_len + 1-byte name + dtype + rank + one dim + offset + length.
constexpr size_t kMinTableEntrySize = 4 + 1 + 4 + 4 + 8 + 8 + 8;

std::string shape_text(std::span<const int64_t> dims) { return fmt::format("[{}]", fmt::join(dims, ", ")); }

// A field of a tensor table entry, as named in errors.
std::string entry_field(size_t entry, std::string_view what) {
  return fmt::format("tensor table entry {}'s {}", entry, what);
}

struct TableEntry {
  std::string name;
  std::vector<int64_t> dims;
  uint64_t offset = 0;
  uint64_t length = 0;
};

TableEntry read_entry(io::ByteReader& table, size_t index, uint64_t header_len, uint64_t data_end) {
  TableEntry e;
  const uint32_t name_len = table.u32(entry_field(index, "name length"));
  if (name_len == 0 || name_len > kMaxNameLength)
    fail(ErrorCode::CorruptModel, "model file: tensor table entry {} has a name of {} bytes (1..{} allowed)", index,
         name_len, kMaxNameLength);
  const std::span<const uint8_t> name_bytes = table.bytes(name_len, entry_field(index, "name"));
  const std::string_view name(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());
  for (char ch : name)
    if (ch < 0x21 || ch > 0x7e)
      fail(ErrorCode::CorruptModel, "model file: tensor table entry {} has a name with a non-printable byte", index);
  e.name = name;
  const uint32_t dtype = table.u32(entry_field(index, "dtype"));
  if (dtype != kDtypeF32)
    fail(ErrorCode::CorruptModel, "model file: tensor '{}' has dtype code {}, only f32 ({}) is known", e.name, dtype,
         kDtypeF32);
  const uint32_t rank = table.u32(entry_field(index, "rank"));
  if (rank == 0 || rank > kMaxRank)
    fail(ErrorCode::CorruptModel, "model file: tensor '{}' has rank {} (1..{} allowed)", e.name, rank, kMaxRank);
  // Every tensor must fit in the file, so no dimension and no element count may exceed its size.
  const uint64_t max_elements = data_end / sizeof(float);
  uint64_t elements = 1;
  for (uint32_t d = 0; d < rank; ++d) {
    const uint64_t dim = table.u64(entry_field(index, "dims"));
    if (dim == 0 || dim > max_elements)
      fail(ErrorCode::CorruptModel, "model file: tensor '{}' has dimension {} = {}, impossible in a {}-byte file",
           e.name, d, dim, data_end + kChecksumSize);
    if (elements > max_elements / dim)
      fail(ErrorCode::CorruptModel, "model file: tensor '{}' has more elements than a {}-byte file can hold", e.name,
           data_end + kChecksumSize);
    elements *= dim;
    e.dims.push_back(static_cast<int64_t>(dim));
  }
  e.offset = table.u64(entry_field(index, "data offset"));
  e.length = table.u64(entry_field(index, "data length"));
  if (e.length != elements * sizeof(float))
    fail(ErrorCode::CorruptModel, "model file: tensor '{}' of shape {} has {} data bytes, expected {}", e.name,
         shape_text(e.dims), e.length, elements * sizeof(float));
  if (e.offset % kModelTensorAlignment != 0)
    fail(ErrorCode::CorruptModel, "model file: tensor '{}' data offset {} is not a multiple of {}", e.name, e.offset,
         kModelTensorAlignment);
  if (e.offset < header_len || e.offset > data_end || e.length > data_end - e.offset)
    fail(ErrorCode::CorruptModel,
         "model file: tensor '{}' data [{}, +{}) lies outside the data region [{}, {}) of the file", e.name, e.offset,
         e.length, header_len, data_end);
  return e;
}

// Storage the model owns besides a file mapping: a 64-byte aligned copy.
class AlignedCopy {
 public:
  explicit AlignedCopy(std::span<const uint8_t> bytes)
      : data_(static_cast<uint8_t*>(::operator new (bytes.size(), std::align_val_t{kModelTensorAlignment}))) {
    if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
  }
  ~AlignedCopy() { ::operator delete (data_, std::align_val_t{kModelTensorAlignment}); }
  AlignedCopy(const AlignedCopy&) = delete;
  AlignedCopy& operator=(const AlignedCopy&) = delete;
  const uint8_t* data() const { return data_; }

 private:
  uint8_t* data_;
};

}  // namespace

// Type-erased owner of the bytes the tensor views point into.
struct ModelBytes::Storage {
  std::variant<std::monostate, std::unique_ptr<io::MappedFile>, std::unique_ptr<AlignedCopy>> owner;
};

std::vector<uint8_t> write_model_buffer(const ModelMetadata& metadata, std::span<const NamedTensor> tensors) {
  try {
    validate_config(metadata.config);
    validate_features(metadata.features);
  } catch (const Error& e) {
    throw Error(ErrorCode::InvalidArgument, e.what());
  }
  return write_container(metadata_to_json(metadata), expected_tensors(metadata), tensors);
}

std::vector<uint8_t> write_container(std::string_view json, std::span<const TensorSpec> specs,
                                     std::span<const NamedTensor> tensors) {
  // Match the caller's tensors to the canonical list by name.
  std::map<std::string_view, const NamedTensor*> given;
  for (const NamedTensor& t : tensors)
    if (!given.emplace(t.name, &t).second) fail(ErrorCode::InvalidArgument, "tensor '{}' is given twice", t.name);
  std::vector<const NamedTensor*> ordered;
  for (const TensorSpec& spec : specs) {
    auto it = given.find(spec.name);
    if (it == given.end())
      fail(ErrorCode::InvalidArgument, "tensor '{}' {} is missing", spec.name, shape_text(spec.dims));
    const NamedTensor& t = *it->second;
    if (t.dims != spec.dims)
      fail(ErrorCode::InvalidArgument, "tensor '{}' has shape {}, expected {}", t.name, shape_text(t.dims),
           shape_text(spec.dims));
    int64_t elements = 1;
    for (int64_t d : spec.dims) elements *= d;
    if (t.values.size() != static_cast<size_t>(elements))
      fail(ErrorCode::InvalidArgument, "tensor '{}' has {} values, its shape {} needs {}", t.name, t.values.size(),
           shape_text(spec.dims), elements);
    for (size_t i = 0; i < t.values.size(); ++i)
      if (!std::isfinite(t.values[i]))
        fail(ErrorCode::InvalidArgument, "tensor '{}' holds a non-finite value at index {}", t.name, i);
    ordered.push_back(&t);
    given.erase(it);
  }
  if (!given.empty())
    fail(ErrorCode::InvalidArgument, "tensor '{}' is not a parameter of this configuration", given.begin()->first);

  // Every offset follows from the metadata and table sizes, so the layout is fixed before writing.
  size_t table_size = 0;
  for (const NamedTensor* t : ordered) table_size += 4 + t->name.size() + 4 + 4 + 8 * t->dims.size() + 8 + 8;
  const size_t header_len = kPreambleSize + json.size() + table_size;
  auto align_up = [](size_t n) {
    return (n + kModelTensorAlignment - 1) / kModelTensorAlignment * kModelTensorAlignment;
  };
  std::vector<size_t> offsets;
  size_t data_end = header_len;
  for (const NamedTensor* t : ordered) {
    offsets.push_back(align_up(data_end));
    data_end = offsets.back() + t->values.size_bytes();
  }

  io::ByteWriter w(kModelMagic);
  w.reserve(data_end + kChecksumSize);
  w.u32(kModelFormatVersion);
  w.u32(static_cast<uint32_t>(ordered.size()));
  w.u64(json.size());
  w.u64(header_len);
  w.chars(json);
  for (size_t i = 0; i < ordered.size(); ++i) {
    const NamedTensor& t = *ordered[i];
    w.text(t.name);
    w.u32(kDtypeF32);
    w.u32(static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) w.u64(static_cast<uint64_t>(d));
    w.u64(offsets[i]);
    w.u64(t.values.size_bytes());
  }
  for (size_t i = 0; i < ordered.size(); ++i) {
    w.pad_to(offsets[i]);
    w.floats(ordered[i]->values);
  }
  return w.finish();
}

void write_model_file(const std::string& path, const ModelMetadata& metadata, std::span<const NamedTensor> tensors) {
  io::write_file_atomically(path, write_model_buffer(metadata, tensors), "model file");
}

ContainerContents read_container(std::span<const uint8_t> bytes, const MetadataReader& read_metadata) {
  const uint8_t* base = bytes.data();
  const size_t size = bytes.size();
  if (size < kPreambleSize + kChecksumSize)
    fail(ErrorCode::CorruptModel, "model file: {} bytes, shorter than the {}-byte minimum (truncated?)", size,
         kPreambleSize + kChecksumSize);
  if (std::memcmp(base, kModelMagic, sizeof kModelMagic) != 0)
    fail(ErrorCode::CorruptModel, "model file: bad magic bytes, not an invforecast model file");
  // The checksum first: every format version ends with it, so a file that passes it and has a newer
  // version is a later library's file (Unsupported), not a damaged one.
  io::ByteReader(bytes, "model file").check_crc();
  io::ByteReader preamble(bytes.first(kPreambleSize), "model file");
  preamble.bytes(sizeof kModelMagic, "magic");
  const uint32_t version = preamble.u32("format version");
  if (version == 0) fail(ErrorCode::CorruptModel, "model file: format version 0 is invalid");
  if (version > kModelFormatVersion)
    fail(ErrorCode::Unsupported,
         "model file: format version {} is newer than this library's {} (a later invforecast wrote it)", version,
         kModelFormatVersion);
  const uint32_t tensor_count = preamble.u32("tensor count");
  const uint64_t metadata_len = preamble.u64("metadata length");
  const uint64_t header_len = preamble.u64("header length");
  const uint64_t data_end = size - kChecksumSize;
  if (header_len < kPreambleSize || header_len > data_end)
    fail(ErrorCode::CorruptModel, "model file: header length {} is outside the {}-byte file (truncated?)", header_len,
         size);
  if (metadata_len > header_len - kPreambleSize)
    fail(ErrorCode::CorruptModel, "model file: metadata length {} runs past the header end {}", metadata_len,
         header_len);

  ContainerContents contents;
  contents.format_version = version;
  const std::vector<TensorSpec> specs = read_metadata(
      std::string_view(reinterpret_cast<const char*>(base + kPreambleSize), static_cast<size_t>(metadata_len)));

  io::ByteReader table(bytes.subspan(kPreambleSize + metadata_len, header_len - kPreambleSize - metadata_len),
                      "model file");
  if (tensor_count > table.remaining() / kMinTableEntrySize)
    fail(ErrorCode::CorruptModel, "model file: {} tensors cannot fit in a {}-byte tensor table", tensor_count,
         table.remaining());
  std::vector<TableEntry> entries;
  entries.reserve(tensor_count);
  for (uint32_t i = 0; i < tensor_count; ++i) entries.push_back(read_entry(table, i, header_len, data_end));
  if (table.remaining() != 0)
    fail(ErrorCode::CorruptModel, "model file: {} bytes left between the tensor table's end and the header end {}",
         table.remaining(), header_len);

  // No two tensors may share bytes.
  std::vector<const TableEntry*> by_offset;
  for (const TableEntry& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->offset < by_offset[i - 1]->offset + by_offset[i - 1]->length)
      fail(ErrorCode::CorruptModel, "model file: tensors '{}' and '{}' overlap", by_offset[i - 1]->name,
           by_offset[i]->name);

  std::map<std::string_view, const TableEntry*> by_name;
  for (const TableEntry& e : entries)
    if (!by_name.emplace(e.name, &e).second)
      fail(ErrorCode::CorruptModel, "model file: tensor '{}' appears twice", e.name);

  contents.tensors.reserve(specs.size());
  for (const TensorSpec& spec : specs) {
    auto it = by_name.find(spec.name);
    if (it == by_name.end())
      fail(ErrorCode::CorruptModel, "model file: tensor '{}' {} is missing", spec.name, shape_text(spec.dims));
    const TableEntry& e = *it->second;
    if (e.dims != spec.dims)
      fail(ErrorCode::CorruptModel, "model file: tensor '{}' has shape {}, expected {} for this config", e.name,
           shape_text(e.dims), shape_text(spec.dims));
    const auto* values = reinterpret_cast<const float*>(base + e.offset);
    const size_t count = e.length / sizeof(float);
    for (size_t i = 0; i < count; ++i) {
      const float value = values[i];
      if (!std::isfinite(value))
        fail(ErrorCode::CorruptModel, "model file: tensor '{}' holds a non-finite value at index {}", e.name, i);
    }
    contents.tensors.push_back(TensorView{e.name, e.dims, std::span<const float>(values, count)});
    by_name.erase(it);
  }
  if (!by_name.empty())
    fail(ErrorCode::CorruptModel, "model file: tensor '{}' is not a parameter of this config", by_name.begin()->first);
  return contents;
}

ModelFile ModelFile::parse(ModelBytes source) {
  ModelFile model;
  // The tensor list follows the config and the features (the covariates' tensors).
  ContainerContents contents = read_container(source.bytes(), [&model](std::string_view json) {
    model.metadata_ = metadata_from_json(json);
    return expected_tensors(model.metadata_);
  });
  model.source_ = std::move(source);
  model.format_version_ = contents.format_version;
  model.tensors_ = std::move(contents.tensors);
  return model;
}

ModelBytes ModelBytes::map(const std::string& path) {
  auto storage = std::make_shared<Storage>();
  const auto& mapping = storage->owner.emplace<std::unique_ptr<io::MappedFile>>(
      std::make_unique<io::MappedFile>(path, "model file"));
  ModelBytes source;
  source.bytes_ = mapping->bytes();
  source.storage_ = std::move(storage);
  return source;
}

ModelBytes ModelBytes::from_buffer(std::span<const uint8_t> bytes, BufferMode mode) {
  if (bytes.data() == nullptr && !bytes.empty()) fail(ErrorCode::NullPointer, "model buffer is null");
  ModelBytes source;
  if (mode == BufferMode::Borrow) {
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(float) != 0)
      fail(ErrorCode::InvalidArgument, "a borrowed model buffer must be aligned to {} bytes (or use a copy)",
           alignof(float));
    source.bytes_ = bytes;
    return source;
  }
  // The copy is bounded by memory the caller already holds; the views are then made on the copy.
  auto storage = std::make_shared<Storage>();
  auto& copy = storage->owner.emplace<std::unique_ptr<AlignedCopy>>(std::make_unique<AlignedCopy>(bytes));
  source.bytes_ = std::span<const uint8_t>(copy->data(), bytes.size());
  source.storage_ = std::move(storage);
  return source;
}

ModelFile ModelFile::open(const std::string& path) {
  return load_naming_path(path, [&path] { return parse(ModelBytes::map(path)); });
}

ModelFile ModelFile::from_buffer(std::span<const uint8_t> bytes, BufferMode mode) {
  return parse(ModelBytes::from_buffer(bytes, mode));
}

const TensorView* ModelFile::find(std::string_view name) const {
  for (const TensorView& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorView& ModelFile::tensor(std::string_view name) const {
  const TensorView* t = find(name);
  if (!t) fail(ErrorCode::InvalidArgument, "the model has no tensor '{}'", name);
  return *t;
}

}  // namespace invforecast
