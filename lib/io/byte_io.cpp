#include "io/byte_io.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "error.hpp"

namespace invforecast::io {

static_assert(std::endian::native == std::endian::little,
              "binary files store f32 values in host order: little-endian hosts only");

uint32_t crc32(std::span<const uint8_t> bytes, uint32_t crc) {
  uLong value = crc;
  const uint8_t* data = bytes.data();
  size_t size = bytes.size();
  constexpr size_t kChunk = size_t{1} << 30;
  while (size > 0) {
    const size_t n = std::min(size, kChunk);
    value = ::crc32(value, data, static_cast<uInt>(n));
    data += n;
    size -= n;
  }
  return static_cast<uint32_t>(value);
}

void ByteWriter::f64(double v) { u64(std::bit_cast<uint64_t>(v)); }

void ByteWriter::text(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

void ByteWriter::floats(std::span<const float> values) {
  const auto* first = reinterpret_cast<const uint8_t*>(values.data());
  out_.insert(out_.end(), first, first + values.size_bytes());
}

void ByteWriter::doubles(std::span<const double> values) {
  u64(values.size());
  for (double v : values) f64(v);
}

std::vector<uint8_t> ByteWriter::finish() {
  u32(crc32(out_));
  return std::move(out_);
}

void ByteReader::check_frame(std::span<const char> magic, size_t min_size) {
  if (bytes_.size() < min_size + 4)
    fail(ErrorCode::CorruptModel, "{}: {} bytes, shorter than the {}-byte minimum (truncated?)",
         what_, bytes_.size(), min_size + 4);
  if (std::memcmp(bytes_.data(), magic.data(), magic.size()) != 0)
    fail(ErrorCode::CorruptModel, "{}: bad magic bytes (not an invforecast {})", what_, what_);
  check_crc();
  pos_ = magic.size();
}

void ByteReader::check_crc() {
  const size_t body = bytes_.size() - 4;
  uint32_t stored = 0;
  for (int i = 3; i >= 0; --i) stored = (stored << 8) | bytes_[body + static_cast<size_t>(i)];
  const uint32_t actual = crc32(bytes_.first(body));
  if (stored != actual)
    fail(ErrorCode::CorruptModel,
         "{}: checksum mismatch (stored {:08x}, computed {:08x}): corrupted or truncated", what_,
         stored, actual);
  bytes_ = bytes_.first(body);
}

const uint8_t* ByteReader::take(size_t n, std::string_view field) {
  if (n > remaining())
    fail(ErrorCode::CorruptModel, "{}: {} needs {} bytes at offset {}, only {} left (cut short)",
         what_, field, n, pos_, remaining());
  const uint8_t* p = bytes_.data() + pos_;
  pos_ += n;
  return p;
}

uint32_t ByteReader::u32(std::string_view field) {
  const uint8_t* p = take(4, field);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t ByteReader::u64(std::string_view field) {
  const uint8_t* p = take(8, field);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int64_t ByteReader::i64(std::string_view field) { return static_cast<int64_t>(u64(field)); }

double ByteReader::f64(std::string_view field) { return std::bit_cast<double>(u64(field)); }

std::span<const uint8_t> ByteReader::bytes(size_t n, std::string_view field) {
  return {take(n, field), n};
}

std::string ByteReader::text(std::string_view field, size_t max_length) {
  const uint32_t length = u32(field);
  if (length == 0 || length > max_length)
    fail(ErrorCode::CorruptModel, "{}: {} length {} is outside 1..{}", what_, field, length,
         max_length);
  const uint8_t* p = take(length, field);
  std::string s(reinterpret_cast<const char*>(p), length);
  for (char c : s)
    if (c < 0x20 || c > 0x7e)
      fail(ErrorCode::CorruptModel, "{}: {} holds a non-printable byte", what_, field);
  return s;
}

std::vector<float> ByteReader::floats(uint64_t count, std::string_view field) {
  if (count > remaining() / sizeof(float))
    fail(ErrorCode::CorruptModel, "{}: {} needs {} floats at offset {}, only {} bytes left", what_,
         field, count, pos_, remaining());
  const uint8_t* p = take(static_cast<size_t>(count) * sizeof(float), field);
  std::vector<float> values(static_cast<size_t>(count));
  std::memcpy(values.data(), p, values.size() * sizeof(float));
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      fail(ErrorCode::CorruptModel, "{}: {} holds a non-finite value at index {}", what_, field, i);
  return values;
}

std::vector<double> ByteReader::doubles(std::string_view field, uint64_t max_count) {
  const uint64_t count = u64(field);
  if (count > max_count || count > remaining() / sizeof(double))
    fail(ErrorCode::CorruptModel, "{}: {} count {} exceeds the limit {} or the {} bytes left",
         what_, field, count, max_count, remaining());
  std::vector<double> values(static_cast<size_t>(count));
  for (double& v : values) v = f64(field);
  return values;
}

void ByteReader::expect_end() {
  if (remaining() != 0)
    fail(ErrorCode::CorruptModel, "{}: {} unexpected bytes after the last field at offset {}",
         what_, remaining(), pos_);
}

}  // namespace invforecast::io
