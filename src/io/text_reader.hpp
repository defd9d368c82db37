// Reading the project's text formats (model files, tape files) strictly: line
// by line, every number parsed whole, every error naming the reader, the file
// and the line. Both formats end with a checksum line, which guards against
// accidents (a flipped bit, a truncated copy), not against intent: the readers
// trust nothing they read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wengert::io {

/// FNV-1a, 64 bits.
std::uint64_t fnv1a(std::string_view bytes);

/// The words of a line, split at single spaces.
std::vector<std::string_view> words(std::string_view line);

class TextReader {
 public:
  /// `function` and `name` (the file) start every message.
  TextReader(std::string_view text, std::string_view function, std::string_view name);

  /// Throws IoError "<function>: '<name>' line <n>: <why>" (line 0: no line).
  [[noreturn]] void bad_at(std::size_t line, const std::string& why) const;
  [[noreturn]] void bad(const std::string& why) const { bad_at(line_, why); }

  /// The text above the last line "checksum <16 hex digits>", after checking
  /// that it starts with `magic` and that the checksum matches.
  std::string_view checked_body(std::string_view magic) const;

  /// The next line, without its '\n'; the reader moves past it.
  std::string_view line();
  std::size_t line_number() const { return line_; }
  /// Whole lines left: what the rest of the file can still hold.
  std::size_t lines_left() const;
  bool done() const { return text_.empty(); }

  /// A whole number, all of the word, in range; `what` names it in the error.
  std::uint64_t whole_number(std::string_view word, std::string_view what) const;
  /// A signed integer, all of the word, in range.
  std::int64_t integer(std::string_view word, std::string_view what) const;
  /// A double, all of the word; finite unless `any_double` (then inf and nan too).
  double number(std::string_view word, std::string_view what, bool any_double = false) const;

 private:
  std::string_view text_, function_, name_;
  std::size_t line_ = 0;
};

}  // namespace wengert::io
