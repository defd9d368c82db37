// libFuzzer target: the CSV reader. Wengert's own errors are the expected
// answer for bad text; anything else (a crash, a leak, a hang) is a finding.
#include <cstdint>
#include <string_view>
#include <wengert/error.hpp>
#include <wengert/io.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    wengert::io::parse_csv(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.csv");
  } catch (const wengert::Error&) {
  }
  return 0;
}
