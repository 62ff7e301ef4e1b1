#include "io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>

#include "error.hpp"

namespace invforecast::io {

namespace {

struct Descriptor {
  int fd;
  ~Descriptor() { ::close(fd); }
};

bool has_gzip_magic(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

}  // namespace

MappedFile::Pages::~Pages() {
  if (address != nullptr) ::munmap(address, size);
}

MappedFile::MappedFile(const std::string& path, std::string_view what, Access access) {
  Descriptor fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) fail(ErrorCode::Io, "cannot open {} '{}': {}", what, path, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.fd, &info) != 0)
    fail(ErrorCode::Io, "cannot stat {} '{}': {}", what, path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) fail(ErrorCode::Io, "{} '{}' is a directory", what, path);
  if (!S_ISREG(info.st_mode)) {  // a pipe or device: read until its end
    copy_.resize(size_t{1} << 16);
    size_t filled = 0;
    while (true) {
      if (filled == copy_.size()) copy_.resize(copy_.size() * 2);
      const ssize_t got = ::read(fd.fd, copy_.data() + filled, copy_.size() - filled);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail(ErrorCode::Io, "cannot read {} '{}': {}", what, path, std::strerror(errno));
      if (got == 0) break;
      filled += static_cast<size_t>(got);
    }
    copy_.resize(filled);
    bytes_ = copy_;
    return;
  }
  if (static_cast<uint64_t>(info.st_size) > std::numeric_limits<size_t>::max())
    fail(ErrorCode::Io, "{} '{}' is too large to map", what, path);
  const auto size = static_cast<size_t>(info.st_size);
  if (size == 0) return;  // mmap refuses empty files
  const int flags = MAP_PRIVATE | (access == Access::Sequential ? MAP_POPULATE : 0);
  void* address = ::mmap(nullptr, size, PROT_READ, flags, fd.fd, 0);
  if (address == MAP_FAILED)
    fail(ErrorCode::Io, "cannot map {} '{}': {}", what, path, std::strerror(errno));
  mapping_.address = address;
  mapping_.size = size;
  if (access == Access::Sequential) ::madvise(address, size, MADV_SEQUENTIAL);
  bytes_ = {static_cast<const uint8_t*>(address), size};
}

// Pages straight from mmap, with transparent huge pages asked for: already
// zeroed, and far fewer page faults than a malloc'd, resized string.
void TextFile::grow(size_t bytes) {
  if (bytes <= inflated_.size) return;
  void* grown =
      inflated_.address == nullptr
          ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
          : ::mremap(inflated_.address, inflated_.size, bytes, MREMAP_MAYMOVE);
  if (grown == MAP_FAILED) throw std::bad_alloc();
  ::madvise(grown, bytes, MADV_HUGEPAGE);
  inflated_.address = grown;
  inflated_.size = bytes;
}

TextFile::TextFile(const std::string& path, std::string_view what)
    : file_(std::make_unique<MappedFile>(path, what, MappedFile::Access::Sequential)) {
  const std::string_view compressed = file_->text();
  if (!has_gzip_magic(compressed) && !path.ends_with(".gz")) {
    text_ = compressed;
    return;
  }
  if (!has_gzip_magic(compressed))
    fail(ErrorCode::Parse, "{}: not a gzip file (no gzip header)", path);
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK)
    fail(ErrorCode::OutOfMemory, "{}: cannot initialise zlib", path);
  struct StreamEnd {
    z_stream* s;
    ~StreamEnd() { inflateEnd(s); }
  } ender{&stream};

  // The trailer's ISIZE (size mod 2^32 of the last member) is a size hint.
  size_t hint = compressed.size() * 4;
  if (compressed.size() >= 18) {
    const auto* tail =
        reinterpret_cast<const unsigned char*>(compressed.data() + compressed.size() - 4);
    const size_t isize =
        tail[0] | (tail[1] << 8) | (tail[2] << 16) | (static_cast<size_t>(tail[3]) << 24);
    if (isize > hint && isize < compressed.size() * 1100) hint = isize;
  }
  grow(hint + 1);
  size_t produced = 0;
  size_t consumed = 0;
  while (true) {
    if (produced == inflated_.size) grow(inflated_.size * 2);
    const size_t in_chunk = std::min<size_t>(compressed.size() - consumed, 1u << 30);
    const size_t out_chunk = std::min<size_t>(inflated_.size - produced, 1u << 30);
    char* pages = static_cast<char*>(inflated_.address);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + consumed));
    stream.avail_in = static_cast<uInt>(in_chunk);
    stream.next_out = reinterpret_cast<Bytef*>(pages + produced);
    stream.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&stream, Z_NO_FLUSH);
    consumed += in_chunk - stream.avail_in;
    produced += out_chunk - stream.avail_out;
    if (rc == Z_STREAM_END) {
      if (consumed == compressed.size()) break;
      // Concatenated members are valid gzip; anything else after the end is not.
      if (!has_gzip_magic(compressed.substr(consumed)))
        fail(ErrorCode::Parse, "{}: corrupt gzip: {} unexpected byte(s) after the compressed data",
             path, compressed.size() - consumed);
      inflateReset(&stream);
      continue;
    }
    if (rc == Z_MEM_ERROR)
      fail(ErrorCode::OutOfMemory, "{}: out of memory while decompressing", path);
    if (rc == Z_DATA_ERROR || rc == Z_STREAM_ERROR || rc == Z_NEED_DICT)
      fail(ErrorCode::Parse, "{}: corrupt gzip data after {} decompressed bytes: {}", path,
           produced, stream.msg != nullptr ? stream.msg : "invalid stream");
    if (consumed == compressed.size() && stream.avail_out != 0)
      fail(ErrorCode::Parse, "{}: truncated gzip: the stream ends after {} decompressed bytes",
           path, produced);
  }
  file_.reset();
  text_ = std::string_view(static_cast<const char*>(inflated_.address), produced);
}

}  // namespace invforecast::io
