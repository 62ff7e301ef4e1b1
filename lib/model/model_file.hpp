// The invforecast model file, format version 1: write a model (metadata + named f32 tensors) to a file
// or a memory buffer, and load it back from a path (mmap) or a caller's buffer with every size checked
// before it is used.
//
// Layout (all integers little-endian; offsets from the start of the file):
//    0  magic          8 bytes  "INVFMDL\0"
//    8  format_version u32      1
//   12  tensor_count   u32
//   16  metadata_len   u64      bytes of the metadata block
//   24  header_len     u64      end of the tensor table = 32 + metadata_len + table bytes
//   32  metadata       JSON text (UTF-8, no terminator): {"config": {...}, "features": [...],
//                      "provenance": {...}}, see model_config.hpp (metadata_to_json); a text
//                      model's is {"config", "tokenizer", "provenance"} (text/text_model_file.hpp)
//       tensor table   tensor_count entries of
//                        u32 name_len, name (printable ASCII, 1..256 bytes), u32 dtype (1 = f32),
//                        u32 rank (1..8), i64 dims[rank], u64 data_offset, u64 data_len
//       tensor data    each tensor at an offset that is a multiple of 64 (so a mapped file hands out
//                      aligned, zero-copy views), at or after header_len, row-major f32; zero padding
//                      between
//   size-4  crc32      u32      CRC-32 (zlib's crc32: ISO-HDLC polynomial 0xEDB88320) of bytes [0, size-4)
//
// The writer stores the tensors in the order of expected_tensors(config), so the same model always
// gives the same bytes.  Every format version keeps the magic, the version field and the trailing
// CRC-32 where they are, so that a reader tells a later version's file (checksum right, version above
// its own: Unsupported) from a damaged one (CorruptModel).  A reader of version 1 refuses version 0 as
// corrupt; later versions keep reading version 1 files (tests/fixtures/model/ holds frozen ones).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "model/model_config.hpp"

namespace invforecast {

inline constexpr uint32_t kModelFormatVersion = 1;
inline constexpr size_t kModelTensorAlignment = 64;
inline constexpr char kModelMagic[8] = {'I', 'N', 'V', 'F', 'M', 'D', 'L', '\0'};

// A tensor handed to the writer.  dims must equal the shape expected_tensors() gives for the name.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> dims;
  std::span<const float> values;
};

// Serialise a model.  Throws Error(InvalidArgument) when the metadata is invalid, a tensor is missing,
// unexpected, duplicated, of the wrong shape or size, or holds a non-finite value; Error(Io) when the
// file cannot be written.  The file is written under a temporary name and renamed into place.
std::vector<uint8_t> write_model_buffer(const ModelMetadata& metadata, std::span<const NamedTensor> tensors);
void write_model_file(const std::string& path, const ModelMetadata& metadata, std::span<const NamedTensor> tensors);

// A loaded tensor: a read-only view into the model's storage, valid as long as the ModelFile (or a copy).
struct TensorView {
  std::string name;
  std::vector<int64_t> dims;
  std::span<const float> values;
};

// How a model loaded from memory relates to the caller's buffer.
//  Borrow: tensors are views into the caller's buffer, which must stay alive and unchanged while the
//          model (and every copy of it) lives; no copy is made (appliances keeping the model in ROM).
//          The buffer must be aligned to 4 bytes (Error(InvalidArgument) otherwise); tensors are 64-byte
//          aligned in memory when the buffer is.
//  Copy:   the buffer is copied once into 64-byte aligned storage that the model owns, then validated;
//          the caller's buffer may be freed right after the call.
enum class BufferMode { Borrow, Copy };

// The container without its interpretation, shared by every kind of file in this format (a forecast
// model, ModelFile below; a text encoder, lib/text/text_model_file.hpp).  Each kind parses the
// metadata JSON itself and answers the tensors it expects; the container checks everything else.

// The bytes a model is read from, and what keeps them alive (a mapping, an aligned copy, or nothing
// when borrowing).  Copies share them.
class ModelBytes {
 public:
  // Maps the file read-only (POSIX mmap); Error(Io) when it cannot be opened.  The file must not be
  // truncated while mapped.
  static ModelBytes map(const std::string& path);
  // Error(NullPointer) for a null buffer with a size; Borrow needs 4-byte alignment
  // (Error(InvalidArgument)).
  static ModelBytes from_buffer(std::span<const uint8_t> bytes, BufferMode mode);
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  struct Storage;
  std::shared_ptr<const Storage> storage_;  // null when borrowing the caller's buffer
  std::span<const uint8_t> bytes_;
};

// The metadata block's text in, the tensors that metadata calls for (in file order) out; throws
// Error(CorruptModel) for metadata it cannot accept.
using MetadataReader = std::function<std::vector<TensorSpec>(std::string_view metadata_json)>;

struct ContainerContents {
  uint32_t format_version = 0;
  std::vector<TensorView> tensors;  // views into the bytes, in the order read_metadata gave
};

// Checks the length, magic, checksum, format version, header and metadata lengths, calls
// read_metadata once, then checks every table entry (name, dtype, rank, dims, offsets and lengths
// inside the file, alignment, overlap, repeats) and each tensor against the specs (present, its
// shape, finite values, nothing unexpected).  Errors as ModelFile's, below.
ContainerContents read_container(std::span<const uint8_t> bytes, const MetadataReader& read_metadata);

// The container's bytes: metadata_json as the metadata block, then the tensors in the order of
// specs, matched by name.  Error(InvalidArgument) when a tensor is missing, unexpected, duplicated,
// of the wrong shape or size, or holds a non-finite value.
std::vector<uint8_t> write_container(std::string_view metadata_json, std::span<const TensorSpec> specs,
                                     std::span<const NamedTensor> tensors);

// Runs load() and prefixes the path to the message of an Error(CorruptModel), Error(Unsupported) or
// Error(InvalidArgument) (a file of another kind).
template <class Load>
auto load_naming_path(const std::string& path, const Load& load) {
  try {
    return load();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::CorruptModel || e.code() == ErrorCode::Unsupported ||
        e.code() == ErrorCode::InvalidArgument)
      throw Error(e.code(), fmt::format("'{}': {}", path, e.what()));
    throw;
  }
}

// A validated model file.  Loading checks, before anything is sized from the file: the length, magic,
// the checksum, format version, header and metadata lengths, the JSON metadata (config and features),
// every table entry (name, dtype, rank, dims, offsets and lengths inside the file, alignment, overlap)
// and each tensor's shape against expected_tensors(config), and that every value is finite.  Any
// failure throws Error(CorruptModel) with a message naming what is wrong; a format version above
// kModelFormatVersion (a file from a later library, named with both versions in the message) or a model
// whose features go beyond the target gives Error(Unsupported); a path that cannot be opened gives
// Error(Io); a text-model file gives Error(InvalidArgument) saying what it is.
// Immutable once loaded: copies share the storage, and any number of threads may read it at once.
class ModelFile {
 public:
  // Maps the file read-only (POSIX mmap); the mapping lives as long as the model.  The file must not be
  // truncated while mapped.
  static ModelFile open(const std::string& path);
  static ModelFile from_buffer(std::span<const uint8_t> bytes, BufferMode mode);

  uint32_t format_version() const { return format_version_; }
  const ModelMetadata& metadata() const { return metadata_; }
  const ModelConfig& config() const { return metadata_.config; }
  // The whole validated file as it was loaded (in the mapping, the owned
  // copy or the borrowed buffer): saving a model hands out these bytes
  // rather than serialising it again.
  std::span<const uint8_t> bytes() const { return source_.bytes(); }
  // In the order of expected_tensors(config()).
  const std::vector<TensorView>& tensors() const { return tensors_; }
  // nullptr when the model has no such tensor.
  const TensorView* find(std::string_view name) const;
  // Throws Error(InvalidArgument) when the model has no such tensor.
  const TensorView& tensor(std::string_view name) const;

 private:
  ModelFile() = default;
  static ModelFile parse(ModelBytes source);

  ModelBytes source_;
  uint32_t format_version_ = 0;
  ModelMetadata metadata_;
  std::vector<TensorView> tensors_;
};

}  // namespace invforecast
