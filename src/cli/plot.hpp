// Pictures with gnuplot: the data and a script are written next to the picture,
// then gnuplot draws it. Without gnuplot the data and the script stay, and the
// caller is told how to get the picture.
#pragma once

#include <string>

#include "wengert/matrix.hpp"

namespace wengert::cli {

/// Writes `rows` as whitespace-separated columns to path (for gnuplot).
void write_table(const std::string& path, const Matrix<double>& rows);

/// Runs gnuplot on the script; false (and a message on stderr) if gnuplot is missing or fails.
bool run_gnuplot(const std::string& script_path);

}  // namespace wengert::cli
