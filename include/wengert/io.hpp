// Files in and out: matrices as CSV, and whole files written atomically.
#pragma once

#include <string>
#include <string_view>

#include "wengert/matrix.hpp"

namespace wengert::io {

/// Writes `contents` to `path` so that a reader sees the old file or the new
/// one, never part of one: a temporary file beside the target, flushed to disk,
/// renamed over it. On failure `path` is unchanged, the temporary is removed,
/// and IoError names the file and the reason.
void write_atomically(const std::string& path, std::string_view contents);

/// Rows of comma-separated numbers, all of one width; '#' starts a comment
/// line; a UTF-8 byte-order mark is skipped. An empty, malformed, overflowing
/// or non-finite entry, or a ragged row, throws IoError naming the file, the
/// line and the column; so do a missing file, a folder, a device and a file
/// larger than the machine's memory can hold as numbers.
Matrix<double> load_csv(const std::string& path);

/// The same, from text in memory; `name` stands for the file in messages.
Matrix<double> parse_csv(std::string_view text, std::string_view name);

/// Writes the rows as CSV with 17 significant digits (they read back exactly), atomically.
void save_csv(const std::string& path, const Matrix<double>& rows);

}  // namespace wengert::io
