// The walkthroughs check themselves: each number the library prints is
// compared with one computed by hand, and a mismatch makes the example fail.
#pragma once

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace walkthrough {

inline int failures = 0;

inline void check(const char* what, double library, double by_hand, double tolerance = 1e-12) {
  const bool ok = std::abs(library - by_hand) <= tolerance * (1 + std::abs(by_hand));
  fmt::print("  {:<34} library {:>+.12f}   by hand {:>+.12f}   {}\n", what, library, by_hand, ok ? "ok" : "MISMATCH");
  if (!ok) ++failures;
}

/// Runs gnuplot on the script if gnuplot is installed; says which picture it drew.
inline void draw(const char* script, const char* picture, const char* what) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    fmt::print("(gnuplot is not installed: {} not drawn)\n", picture);
    return;
  }
  if (std::system(fmt::format("gnuplot {}", script).c_str()) == 0) fmt::print("drew {}: {}\n", picture, what);
}

inline int finish() {
  if (failures) fmt::print("\n{} mismatch(es)\n", failures);
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

}  // namespace walkthrough
