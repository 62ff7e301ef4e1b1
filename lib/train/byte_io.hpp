// Little-endian binary fields with a trailing CRC-32, shared by the training
// files (LoRA adapters, checkpoints): a writer, a reader that checks every
// length against the bytes left before using it, and whole-file I/O with an
// atomic replace (temporary name + rename).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace invforecast::train {

// zlib CRC-32 (ISO-HDLC) of bytes, fed in chunks zlib's length type can hold.
uint32_t crc32_bytes(std::span<const uint8_t> bytes, uint32_t crc = 0);

class ByteWriter {
 public:
  // Starts the buffer with the file's magic bytes.
  explicit ByteWriter(std::span<const char> magic) {
    for (char c : magic) out_.push_back(static_cast<uint8_t>(c));
  }
  void u32(uint32_t v) { unsigned_le(v, 4); }
  void u64(uint64_t v) { unsigned_le(v, 8); }
  void i64(int64_t v) { unsigned_le(static_cast<uint64_t>(v), 8); }
  void f64(double v);
  void bytes(std::span<const uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  // u32 length, then the characters.
  void text(std::string_view s);
  // The floats' bytes (no count).
  void floats(std::span<const float> values);
  // u64 count, then the doubles.
  void doubles(std::span<const double> values);
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
  // CRC is then excluded from the fields.
  void check_frame(std::span<const char> magic, size_t min_size);
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
  size_t remaining() const { return bytes_.size() - pos_; }
  // Error(CorruptModel) when bytes are left over.
  void expect_end();

 private:
  const uint8_t* take(size_t n, std::string_view field);
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  std::string what_;
};

// Writes bytes to path + ".tmp", then renames it over path: a reader sees the
// old file or the new one, never half of one.  Error(Io) on failure.
void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           std::string_view what);
// The whole file; Error(Io) when it cannot be opened or read.
std::vector<uint8_t> read_whole_file(const std::string& path, std::string_view what);

}  // namespace invforecast::train
