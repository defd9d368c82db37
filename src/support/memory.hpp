// How much memory the machine can give, so that sizes from outside (a width on
// the command line, a count in a file) are refused before they are allocated.
#pragma once

#include <cstddef>
#include <string_view>

namespace wengert::detail {

/// The memory available to a new allocation, in bytes (MemAvailable on Linux;
/// the physical memory where that is unknown).
std::size_t available_memory();

/// Throws UsageError when `bytes` exceed the available memory: "<what> needs
/// about N GiB, but the machine has M GiB available; <fix>".
void check_fits_in_memory(std::string_view what, double bytes, std::string_view fix);

}  // namespace wengert::detail
