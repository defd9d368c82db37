// Files in and out. Reading refuses what cannot be read whole (folders,
// devices, pipes, oversized files) before allocating. Writing is atomic: the
// contents go to an unnamed temporary file beside the target (O_TMPFILE),
// are flushed to disk, linked under a temporary name and renamed over the
// target (rename is atomic within a file system); then the folder is flushed
// so that the rename survives a crash. A save killed between the link and the
// rename leaves '<target>.tmp.<pid>': the next save to that target removes
// such files of processes that are gone, so they never accumulate.
#include "io/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::io {

namespace fs = std::filesystem;

std::string read_file(const char* function, const std::string& path, std::size_t max_bytes) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw IoError(fmt::format("{}: cannot open '{}': {}", function, path, std::strerror(errno)));
  if (S_ISDIR(info.st_mode)) throw IoError(fmt::format("{}: '{}' is a folder, not a file", function, path));
  if (!S_ISREG(info.st_mode))
    throw IoError(
        fmt::format("{}: '{}' is not a regular file (a device, pipe or socket cannot be read whole)", function, path));
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size > max_bytes)
    throw IoError(
        fmt::format("{}: '{}' is {} bytes, more than the {} this reader accepts", function, path, size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open '{}': {}", function, path, std::strerror(errno)));
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

namespace {

// Writes all of `contents` to fd and flushes it to disk; false on any failure (errno says why).
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

fs::path folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

void sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename has happened either way
  ::fsync(fd);
  ::close(fd);
}

// Removes '<target>.tmp.<pid>' files left by saves of processes that no longer run.
void remove_stale_temporaries(const std::string& path) {
  const std::string prefix = fs::path(path).filename().string() + ".tmp.";
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder_of(path), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(digits));
    if (::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(entry.path(), error);
  }
}

[[noreturn]] void write_failed(const std::string& path, const std::string& what, int error) {
  throw IoError(
      fmt::format("cannot write '{}': {} failed: {}; '{}' is unchanged", path, what, std::strerror(error), path));
}

// The contents in a file named `temporary`: written unnamed and linked when the
// file system allows it, so that a kill while writing leaves nothing behind.
void write_temporary(const std::string& path, const std::string& temporary, std::string_view contents) {
  int fd = ::open(folder_of(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  const bool unnamed = fd >= 0;
  if (!unnamed) fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) write_failed(path, "creating a temporary file beside it", errno);
  const bool written = write_all(fd, contents);
  const int error = errno;
  bool linked = !unnamed;
  if (written && unnamed) {
    const std::string self = fmt::format("/proc/self/fd/{}", fd);
    ::unlink(temporary.c_str());
    linked = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temporary.c_str(), AT_SYMLINK_FOLLOW) == 0;
  }
  ::close(fd);
  if (!written) {
    if (!unnamed) ::unlink(temporary.c_str());
    write_failed(path, "writing", error);
  }
  if (!linked) {  // no /proc: write it again under its name
    const int named = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const bool ok = named >= 0 && write_all(named, contents);
    const int why = errno;
    if (named >= 0) ::close(named);
    if (!ok) {
      ::unlink(temporary.c_str());
      write_failed(path, "writing", why);
    }
  }
}

}  // namespace

void write_atomically(const std::string& path, std::string_view contents) {
  remove_stale_temporaries(path);
  const std::string temporary = fmt::format("{}.tmp.{}", path, ::getpid());
  write_temporary(path, temporary, contents);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    write_failed(path, "replacing it", error);
  }
  sync_folder(folder_of(path));
}

}  // namespace wengert::io
