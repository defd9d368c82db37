// Matrices as CSV files.
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::io {

Matrix<double> load_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("load_csv: cannot open '{}'", path));
  std::vector<double> values;
  std::size_t cols = 0, rows = 0, line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::stringstream fields(line);
    std::size_t col = 0;
    for (std::string field; std::getline(fields, field, ',');) {
      ++col;
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(field, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || field.find_first_not_of(" \t\r", used) != std::string::npos)
        throw IoError(fmt::format("load_csv: {}:{}: column {} is '{}', not a number", path, line_number, col, field));
      if (!std::isfinite(v))
        throw IoError(fmt::format("load_csv: {}:{}: column {} is {}; remove or impute non-finite values", path,
                                  line_number, col, field));
      values.push_back(v);
    }
    if (rows == 0)
      cols = col;
    else if (col != cols)
      throw IoError(
          fmt::format("load_csv: {}:{}: {} columns where the first row has {}", path, line_number, col, cols));
    ++rows;
  }
  if (rows == 0) throw IoError(fmt::format("load_csv: '{}' has no data rows", path));
  Matrix<double> m(rows, cols);
  std::copy(values.begin(), values.end(), m.data());
  return m;
}

void save_csv(const std::string& path, const Matrix<double>& rows) {
  std::string text;
  for (std::size_t i = 0; i < rows.rows(); ++i)
    for (std::size_t j = 0; j < rows.cols(); ++j)
      text += fmt::format("{:.17g}{}", rows(i, j), j + 1 < rows.cols() ? ',' : '\n');
  write_atomically(path, text);
}

}  // namespace wengert::io
