// Enums that users write by name (on the command line, in model files): one
// table per enum gives both directions, and the error for an unknown name
// lists the choices.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

template <class Enum, std::size_t N>
struct Names {
  std::string_view what;  // "activation", "loss"
  std::array<std::pair<Enum, std::string_view>, N> table;

  std::string name(Enum value) const {
    for (const auto& [e, n] : table)
      if (e == value) return std::string(n);
    return "?";
  }

  /// The value named `text`; UsageError listing the choices otherwise.
  Enum parse(std::string_view text) const {
    for (const auto& [e, n] : table)
      if (n == text) return e;
    throw UsageError(fmt::format("{} '{}' is not known; use {}", what, text, choices()));
  }

  std::string choices() const {  // "a, b or c"
    std::string out;
    for (std::size_t i = 0; i < N; ++i)
      out += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(table[i].second);
    return out;
  }
};

}  // namespace wengert::detail
