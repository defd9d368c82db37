// Reading whole files from outside, checked before anything is allocated.
#pragma once

#include <cstddef>
#include <string>

namespace wengert::io {

/// The bytes of a regular file of at most `max_bytes`. IoError, naming
/// `function` and the path, for a missing file, a folder, a device or pipe
/// (which could stream forever), an unreadable or an oversized file.
std::string read_file(const char* function, const std::string& path, std::size_t max_bytes);

}  // namespace wengert::io
