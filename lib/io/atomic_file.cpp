#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "error.hpp"

namespace invforecast::io {

namespace {

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// umask() cannot be read without setting it (racy with other threads), so it
// is read from /proc; 022 where /proc does not say.
mode_t process_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("Umask:"))
      return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
  return 022;
}

// The permission bits the new file gets: the old file's, or a new file's.
mode_t target_mode(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) return info.st_mode & 07777;
  return 0666 & ~process_umask();
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path, std::string_view what) : path_(path), what_(what) {
  // ".<name>.XXXXXX" next to the target: hidden, and on its filesystem so
  // that the rename is atomic.
  const size_t name_start = path.rfind('/') + 1;  // 0 without a slash
  const std::string pattern =
      path.substr(0, name_start) + "." + path.substr(name_start) + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  fd_ = ::mkostemp(buffer.data(), O_CLOEXEC);
  if (fd_ < 0)
    fail(ErrorCode::Io, "cannot create {} '{}': cannot open a temporary file in '{}': {}", what_,
         path_, directory_of(path_), std::strerror(errno));
  temporary_ = buffer.data();
  if (::fchmod(fd_, target_mode(path_)) != 0) fail_and_discard("set the mode of", errno);
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(temporary_.c_str());
}

void AtomicFile::fail_and_discard(std::string_view doing, int error) {
  discard();
  fail(ErrorCode::Io, "cannot write {} '{}': cannot {} its temporary '{}': {}", what_, path_, doing,
       temporary_, std::strerror(error));
}

void AtomicFile::write(std::span<const uint8_t> bytes) {
  if (fd_ < 0) fail(ErrorCode::Internal, "{} '{}': written after commit", what_, path_);
  const uint8_t* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_and_discard("write", errno);
    data += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFile::write(std::string_view text) {
  write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

void AtomicFile::commit() {
  if (fd_ < 0) fail(ErrorCode::Internal, "{} '{}': committed twice", what_, path_);
  if (::fsync(fd_) != 0) fail_and_discard("sync", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary_.c_str());
    fail(ErrorCode::Io, "cannot write {} '{}': cannot close its temporary '{}': {}", what_, path_,
         temporary_, std::strerror(error));
  }
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary_.c_str());
    fail(ErrorCode::Io, "cannot write {} '{}': cannot rename '{}' over it: {}", what_, path_,
         temporary_, std::strerror(error));
  }
  // The rename itself is durable once the directory is synced.  Filesystems
  // that cannot sync a directory say EINVAL: nothing more can be done there.
  const std::string directory = directory_of(path_);
  const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    fail(ErrorCode::Io, "wrote {} '{}' but cannot open its directory to sync it: {}", what_, path_,
         std::strerror(errno));
  const bool synced = ::fsync(dir) == 0 || errno == EINVAL;
  const int error = errno;
  ::close(dir);
  if (!synced)
    fail(ErrorCode::Io, "wrote {} '{}' but cannot sync its directory: {}", what_, path_,
         std::strerror(error));
}

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           std::string_view what) {
  AtomicFile file(path, what);
  file.write(bytes);
  file.commit();
}

void write_file_atomically(const std::string& path, std::string_view text, std::string_view what) {
  AtomicFile file(path, what);
  file.write(text);
  file.commit();
}

}  // namespace invforecast::io
