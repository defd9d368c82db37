#include "cli/plot.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::cli {

void write_table(const std::string& path, const Matrix<double>& rows) {
  std::ofstream out(path);
  if (!out) throw UsageError(fmt::format("cannot write '{}'", path));
  for (std::size_t i = 0; i < rows.rows(); ++i) {
    for (std::size_t j = 0; j < rows.cols(); ++j) out << (j ? " " : "") << fmt::format("{:.9g}", rows(i, j));
    out << '\n';
  }
}

bool run_gnuplot(const std::string& script_path) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    fmt::print(stderr,
               "gnuplot is not installed: the data and '{}' are written; apt-get install gnuplot-nox, then "
               "run gnuplot on it\n",
               script_path);
    return false;
  }
  const int status = std::system(fmt::format("gnuplot '{}'", script_path).c_str());
  if (status != 0) fmt::print(stderr, "gnuplot failed on '{}' (status {})\n", script_path, status);
  return status == 0;
}

}  // namespace wengert::cli
