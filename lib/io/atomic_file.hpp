// Writing files: every file the engine writes (model files, checkpoints,
// adapters, forecast and replenishment CSVs) replaces its target atomically,
// so a reader, a crash or a concurrent writer never leaves a torn file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace invforecast::io {

// A new version of the file at `path`, written under a unique temporary name
// in the same directory (mkstemp) and renamed over the target by commit():
// the file is fsync'ed before the rename and the directory after it, so once
// commit() returns the new contents survive a crash.  Until then the old file
// (if any) stays as it was; destroying an uncommitted AtomicFile (an error on
// the way) removes the temporary.  The new file gets the old one's permission
// bits, or 0666 less the umask for a new one.  Every failure is Error(Io)
// naming `what`, the path and the errno text, and leaves no temporary behind.
// Concurrent writers to one path each rename a whole file: the last wins.  A
// symbolic link at `path` is replaced by the new file, not followed.
class AtomicFile {
 public:
  AtomicFile(const std::string& path, std::string_view what);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const uint8_t> bytes);
  void write(std::string_view text);
  void commit();

 private:
  [[noreturn]] void fail_and_discard(std::string_view doing, int error);
  void discard() noexcept;

  std::string path_;
  std::string what_;
  std::string temporary_;
  int fd_ = -1;
};

// The whole file at once, through an AtomicFile.
void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           std::string_view what);
void write_file_atomically(const std::string& path, std::string_view text, std::string_view what);

}  // namespace invforecast::io
