// Matrices as CSV files: rows of comma-separated numbers, all of one width.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>
#include <fmt/format.h>

#include "io/files.hpp"
#include "support/memory.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::io {

namespace {

constexpr std::size_t max_csv_bytes = std::size_t(1) << 36;   // 64 GiB of text: the machine's memory decides first
constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";  // which some editors put before UTF-8 text

std::string_view trimmed(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// One field as a double: every character used, no overflow; subnormals are numbers.
double parse_field(std::string_view name, std::size_t line, std::size_t col, std::string_view raw) {
  const std::string_view field = trimmed(raw);
  auto fail = [&](const std::string& why) -> double {
    throw IoError(fmt::format("load_csv: {}:{}: column {} {}", name, line, col, why));
  };
  if (field.empty()) return fail("is empty (a trailing or doubled comma?)");
  const std::string text(field);  // strtod needs a terminated string
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || end == text.c_str()) return fail(fmt::format("is '{}', not a number", raw));
  if (errno == ERANGE && std::abs(v) == HUGE_VAL)
    return fail(fmt::format("is {}, beyond the largest double (about 1.8e308)", text));
  if (!std::isfinite(v)) return fail(fmt::format("is {}; remove or impute non-finite values", text));
  return v;
}

}  // namespace

Matrix<double> parse_csv(std::string_view text, std::string_view name) {
  if (text.substr(0, byte_order_mark.size()) == byte_order_mark) text.remove_prefix(byte_order_mark.size());
  std::vector<double> values;
  std::size_t cols = 0, rows = 0, line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (trimmed(line).empty() || line.front() == '#') continue;
    std::size_t col = 0;
    for (std::size_t start = 0;;) {
      const std::size_t comma = line.find(',', start);
      values.push_back(parse_field(name, line_number, ++col, line.substr(start, comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (rows == 0)
      cols = col;
    else if (col != cols)
      throw IoError(
          fmt::format("load_csv: {}:{}: {} columns where the first row has {}", name, line_number, col, cols));
    ++rows;
  }
  if (rows == 0) throw IoError(fmt::format("load_csv: '{}' has no data rows", name));
  Matrix<double> m(rows, cols);
  std::copy(values.begin(), values.end(), m.data());
  return m;
}

Matrix<double> load_csv(const std::string& path) {
  const std::string text = read_file("load_csv", path, max_csv_bytes);
  // A number takes at least two bytes ("1,"): the values need at most 4 bytes of memory per byte of text.
  detail::check_fits_in_memory(fmt::format("load_csv: reading '{}'", path), 4.0 * double(text.size()),
                               "split the file or use a machine with more memory");
  return parse_csv(text, path);
}

void save_csv(const std::string& path, const Matrix<double>& rows) {
  std::string text;
  for (std::size_t i = 0; i < rows.rows(); ++i)
    for (std::size_t j = 0; j < rows.cols(); ++j)
      text += fmt::format("{:.17g}{}", rows(i, j), j + 1 < rows.cols() ? ',' : '\n');
  write_atomically(path, text);
}

}  // namespace wengert::io
