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

inline int finish() {
  if (failures) fmt::print("\n{} mismatch(es)\n", failures);
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

}  // namespace walkthrough
