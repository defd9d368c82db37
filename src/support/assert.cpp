#include "support/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace wengert::detail {

void assertion_failed(const char* condition, const char* file, int line) noexcept {
  std::fprintf(stderr, "wengert: internal error: %s failed at %s:%d; please report it with the tape that caused it\n",
               condition, file, line);
  std::abort();
}

}  // namespace wengert::detail
