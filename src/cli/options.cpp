#include "cli/options.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::cli {

namespace {

template <class I>
I whole(const std::string& name, const std::string& text, I lo, I hi) {
  I v = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    throw CLI::ValidationError(name, fmt::format("'{}': use a whole number from {} to {}", text, lo, hi));
  return v;
}

}  // namespace

void add_count(CLI::App& cmd, const std::string& name, std::size_t& value, std::size_t lo, std::size_t hi,
               const std::string& help) {
  cmd.add_option_function<std::string>(
         name, [&value, name, lo, hi](const std::string& text) { value = whole(name, text, lo, hi); }, help)
      ->default_str(std::to_string(value))
      ->type_name("N");
}

void add_int(CLI::App& cmd, const std::string& name, int& value, int lo, int hi, const std::string& help) {
  cmd.add_option_function<std::string>(
         name, [&value, name, lo, hi](const std::string& text) { value = whole(name, text, lo, hi); }, help)
      ->default_str(std::to_string(value))
      ->type_name("N");
}

void add_seed(CLI::App& cmd, const std::string& name, std::uint64_t& value, const std::string& help) {
  cmd.add_option_function<std::string>(
         name,
         [&value, name](const std::string& text) {
           value = whole<std::uint64_t>(name, text, 0, std::numeric_limits<std::uint64_t>::max());
         },
         help)
      ->default_str(std::to_string(value))
      ->type_name("SEED");
}

void add_real(CLI::App& cmd, const std::string& name, double& value, double lo, double hi, bool positive,
              const std::string& help) {
  auto parse = [&value, name, lo, hi, positive](const std::string& text) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    const bool whole_text = !text.empty() && end == text.c_str() + text.size();
    const bool in_range = std::isfinite(v) && (positive ? v > lo : v >= lo) && v <= hi;
    if (!whole_text || !in_range)
      throw CLI::ValidationError(
          name, fmt::format("'{}': use a number {} {:g} and at most {:g}", text, positive ? "above" : "from", lo, hi));
    value = v;
  };
  cmd.add_option_function<std::string>(name, parse, help)->default_str(fmt::format("{:g}", value))->type_name("X");
}

void add_text(CLI::App& cmd, const std::string& name, std::string& value, const std::string& help) {
  cmd.add_option(name, value, help)->default_str(value);
}

std::vector<Dim> parse_widths(const std::string& text) {
  constexpr Dim largest = (Dim(1) << 31) - 1;
  std::vector<Dim> widths;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string word = text.substr(start, comma - start);
    Dim w = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), w);
    if (word.empty() || error != std::errc() || end != word.data() + word.size() || w < 1 || w > largest)
      throw UsageError(
          fmt::format("--widths '{}': '{}' is not a width; write whole numbers from 1 to {} separated by "
                      "commas, e.g. 2,64,64,1",
                      text, word, largest));
    widths.push_back(w);
    start = comma + 1;
  }
  return widths;
}

}  // namespace wengert::cli
