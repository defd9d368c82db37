// Atomic replacement of a file: write a temporary beside the target, flush it
// to disk, rename it over the target (rename is atomic within a file system),
// then flush the folder so that the rename itself survives a crash.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::io {

namespace {

// Writes all of `contents` to fd and flushes it to disk; false on any failure.
bool write_all(int fd, std::string_view contents) {
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return ::fsync(fd) == 0;
}

void sync_folder(const std::filesystem::path& file) {
  const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: the rename has happened either way
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_atomically(const std::string& path, std::string_view contents) {
  const std::string temporary = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw IoError(fmt::format("cannot write '{}': {} (is the folder there and writable?)", path, std::strerror(errno)));
  const bool written = write_all(fd, contents);
  const int saved = errno;
  if (::close(fd) != 0 || !written) {
    ::unlink(temporary.c_str());
    throw IoError(fmt::format("writing '{}' failed: {}; '{}' is unchanged", temporary, std::strerror(saved), path));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw IoError(fmt::format("cannot replace '{}': {}; it is unchanged", path, std::strerror(error)));
  }
  sync_folder(path);
}

}  // namespace wengert::io
