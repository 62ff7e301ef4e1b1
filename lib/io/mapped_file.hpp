// Reading files: the one way the engine gets at a file's bytes.  MappedFile
// maps a regular file read-only (or reads a pipe or device into memory);
// TextFile adds transparent gzip decompression for the text inputs (CSV).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace invforecast::io {

// A file's bytes, read-only, for as long as the object lives.  A regular file
// is mapped (POSIX mmap: no copy, pages read on first touch); anything else
// that can be read (a pipe, /dev/stdin) is read whole into memory.  As with
// any mapping, the file must not be truncated by another process meanwhile.
// Errors are Error(Io) naming `what` and the path: "cannot open <what>
// '<path>': <errno text>", a directory, or a mapping or read that fails.
class MappedFile {
 public:
  // Sequential: the reader walks the file once from the start (the pages are
  // read ahead up front); Random: tensors and fields used in place.
  enum class Access { Random, Sequential };
  // Neither copyable nor movable (the mapping is unmapped on destruction).
  MappedFile(const std::string& path, std::string_view what, Access access = Access::Random);

  // Page-aligned when mapped; empty for an empty file.
  std::span<const uint8_t> bytes() const { return bytes_; }
  std::string_view text() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

 private:
  // Pages of mmap (a file's or anonymous ones), unmapped on destruction.
  struct Pages {
    void* address = nullptr;
    size_t size = 0;
    Pages() = default;
    Pages(const Pages&) = delete;
    Pages& operator=(const Pages&) = delete;
    ~Pages();
  };
  friend class TextFile;

  Pages mapping_;
  std::vector<uint8_t> copy_;  // what was read when the file is not mapped
  std::span<const uint8_t> bytes_;
};

// A text file's characters: the file itself, or, when it starts with the gzip
// magic bytes or its name ends in ".gz", its decompressed contents (every
// member of a multi-member file).  Anything short of complete, checksummed
// gzip data is Error(Parse) naming the path, so partial data is never used.
class TextFile {
 public:
  // Neither copyable nor movable, as MappedFile.
  TextFile(const std::string& path, std::string_view what);

  std::string_view text() const { return text_; }

 private:
  void grow(size_t bytes);

  std::unique_ptr<MappedFile> file_;  // released once decompressed
  MappedFile::Pages inflated_;        // the decompressed text
  std::string_view text_;
};

}  // namespace invforecast::io
