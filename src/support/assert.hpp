// Internal invariants. A user's mistake throws an exception naming the fix;
// a broken invariant is a bug in wengert, checked by WENGERT_ASSERT in debug
// and sanitizer builds (NDEBUG unset) and compiled out of release builds.
#pragma once

namespace wengert::detail {

/// Prints the failed condition and where it is, then aborts.
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line) noexcept;

}  // namespace wengert::detail

#ifdef NDEBUG
#define WENGERT_ASSERT(condition) static_cast<void>(0)
#else
#define WENGERT_ASSERT(condition) \
  ((condition) ? static_cast<void>(0) : ::wengert::detail::assertion_failed(#condition, __FILE__, __LINE__))
#endif
