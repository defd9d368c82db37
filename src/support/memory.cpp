#include "support/memory.hpp"

#include <unistd.h>

#include <fstream>
#include <string>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

std::size_t available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    std::size_t kib = 0;
    meminfo >> kib;
    if (key == "MemAvailable:") return kib * 1024;
    meminfo.ignore(256, '\n');
  }
  return static_cast<std::size_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

void check_fits_in_memory(std::string_view what, double bytes, std::string_view fix) {
  const double available = double(available_memory());
  if (bytes <= available) return;
  constexpr double gib = 1024.0 * 1024.0 * 1024.0;
  throw UsageError(fmt::format("{} needs about {:.3g} GiB, but the machine has {:.3g} GiB available; {}", what,
                               bytes / gib, available / gib, fix));
}

}  // namespace wengert::detail
