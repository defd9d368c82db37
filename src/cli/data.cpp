// Where the command line's data comes from: a built-in set or a CSV file.
#include <filesystem>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::cli {

Data load_data(const DataChoice& c) {
  if (std::filesystem::exists(c.source)) return {io::load_csv(c.source), std::nullopt};
  score::Dataset set = score::dataset(c.source);
  return {set.sample(c.samples, c.seed), set};
}

std::vector<Dim> parse_widths(const std::string& text) {
  std::vector<Dim> widths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    try {
      widths.push_back(std::stol(text.substr(start, comma - start)));
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--widths '{}': write the layer widths separated by commas, e.g. 2,64,64,1", text));
    }
    start = comma + 1;
  }
  return widths;
}

}  // namespace wengert::cli
