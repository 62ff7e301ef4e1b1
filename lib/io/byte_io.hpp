// Little-endian binary fields with a trailing CRC-32, for every binary file of
// the engine (model files, LoRA adapters, checkpoints): a writer that grows a
// buffer, and a reader that checks every length against the bytes left before
// using it.  Files are written with io::write_file_atomically and read through
// io::MappedFile.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace invforecast::io {

// zlib's CRC-32 (ISO-HDLC, polynomial 0xEDB88320) of bytes, continuing from
// `crc` (0 to start), fed in chunks zlib's length type can hold.
uint32_t crc32(std::span<const uint8_t> bytes, uint32_t crc = 0);

// The CRC-32 of a value's object bytes (floats, doubles, characters).
template <typename T>
uint32_t crc32_of(std::span<const T> values, uint32_t crc = 0) {
  return crc32({reinterpret_cast<const uint8_t*>(values.data()), values.size_bytes()}, crc);
}

class ByteWriter {
 public:
  // Starts the buffer with the file's magic bytes.
  explicit ByteWriter(std::span<const char> magic) {
    for (char c : magic) out_.push_back(static_cast<uint8_t>(c));
  }
  void reserve(size_t bytes) { out_.reserve(bytes); }
  size_t size() const { return out_.size(); }
  void u32(uint32_t v) { unsigned_le(v, 4); }
  void u64(uint64_t v) { unsigned_le(v, 8); }
  void i64(int64_t v) { unsigned_le(static_cast<uint64_t>(v), 8); }
  void f64(double v);
  void bytes(std::span<const uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  // The characters alone (no length).
  void chars(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  // u32 length, then the characters.
  void text(std::string_view s);
  // The floats' bytes (no count).
  void floats(std::span<const float> values);
  // u64 count, then the doubles.
  void doubles(std::span<const double> values);
  // Zero bytes up to `offset` (at or after size()).
  void pad_to(size_t offset) { out_.resize(offset, 0); }
  // Appends the CRC-32 of everything written and hands the buffer over.
  std::vector<uint8_t> finish();

 private:
  void unsigned_le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

// Reads fields of `what` (named in every error, e.g. "adapter file"); each
// read past the end throws Error(CorruptModel) naming the field.
class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> bytes, std::string what)
      : bytes_(bytes), what_(std::move(what)) {}
  // Error(CorruptModel) unless the buffer is at least min_size + 4 bytes,
  // starts with magic, and its last 4 bytes are the CRC-32 of the rest; the
  // CRC is then excluded from the fields, and reading goes on after magic.
  void check_frame(std::span<const char> magic, size_t min_size);
  // Error(CorruptModel) unless the last 4 bytes are the CRC-32 of the rest
  // (the buffer holds at least 4); the CRC is then excluded from the fields.
  void check_crc();
  uint32_t u32(std::string_view field);
  uint64_t u64(std::string_view field);
  int64_t i64(std::string_view field);
  double f64(std::string_view field);
  std::span<const uint8_t> bytes(size_t n, std::string_view field);
  // A text of 1 .. max_length printable ASCII characters.
  std::string text(std::string_view field, size_t max_length);
  // count floats, every one finite.
  std::vector<float> floats(uint64_t count, std::string_view field);
  // u64 count (at most max_count), then the doubles (NaN and infinities kept).
  std::vector<double> doubles(std::string_view field, uint64_t max_count);
  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  // Error(CorruptModel) when bytes are left over.
  void expect_end();

 private:
  const uint8_t* take(size_t n, std::string_view field);
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace invforecast::io
