#include "io/text_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::io {

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0; start <= line.size();) {
    const std::size_t space = std::min(line.find(' ', start), line.size());
    out.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  return out;
}

TextReader::TextReader(std::string_view text, std::string_view function, std::string_view name)
    : text_(text), function_(function), name_(name) {}

void TextReader::bad_at(std::size_t line, const std::string& why) const {
  throw IoError(fmt::format("{}: '{}'{} {}", function_, name_, line > 0 ? fmt::format(" line {}:", line) : "", why));
}

std::string_view TextReader::checked_body(std::string_view magic) const {
  if (text_.substr(0, magic.size()) != magic)
    bad_at(0, fmt::format("is not a {} file (it does not start with '{}')", magic.substr(0, magic.find(' ')), magic));
  const std::size_t mark = text_.rfind("\nchecksum ");
  if (mark == std::string_view::npos) bad_at(0, "is truncated: it has no checksum line");
  const std::string_view sum = text_.substr(mark + 10);
  std::uint64_t stored = 0;
  const auto [end, error] = std::from_chars(sum.data(), sum.data() + sum.size(), stored, 16);
  if (error != std::errc() || std::string_view(end, std::size_t(sum.data() + sum.size() - end)) != "\n")
    bad_at(0, "is truncated, or has text after its checksum line, or an unreadable one");
  const std::string_view body = text_.substr(0, mark + 1);
  if (stored != fnv1a(body)) bad_at(0, "is corrupted: its checksum does not match its contents");
  return body;
}

std::string_view TextReader::line() {
  ++line_;
  const std::size_t end = text_.find('\n');
  const std::string_view line = text_.substr(0, end);
  text_.remove_prefix(end == std::string_view::npos ? text_.size() : end + 1);
  return line;
}

std::size_t TextReader::lines_left() const { return std::size_t(std::count(text_.begin(), text_.end(), '\n')); }

namespace {

// An integer of type I made of all of `word`, or nothing.
template <class I>
std::optional<I> integer_from(std::string_view word) {
  I v = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), v);
  if (word.empty() || error != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return v;
}

}  // namespace

std::uint64_t TextReader::whole_number(std::string_view word, std::string_view what) const {
  const auto v = integer_from<std::uint64_t>(word);
  if (!v) bad(fmt::format("{} '{}' is not a whole number in range", what, word));
  return *v;
}

std::int64_t TextReader::integer(std::string_view word, std::string_view what) const {
  const auto v = integer_from<std::int64_t>(word);
  if (!v) bad(fmt::format("{} '{}' is not an integer in range", what, word));
  return *v;
}

double TextReader::number(std::string_view word, std::string_view what, bool any_double) const {
  const std::string text(word);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  const bool whole =
      !text.empty() && end == text.c_str() + text.size() && !std::isspace(static_cast<unsigned char>(text[0]));
  const bool overflow = errno == ERANGE && std::abs(v) == HUGE_VAL;
  if (!whole || (!any_double && (overflow || !std::isfinite(v))))
    bad(fmt::format("{} '{}' is not a {}number", what, word, any_double ? "" : "finite "));
  return v;
}

}  // namespace wengert::io
