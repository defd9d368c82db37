// Where the command line's data comes from (a built-in set or a CSV file), and
// the checks between files that every subcommand shares.
#include <algorithm>
#include <filesystem>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "support/memory.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::cli {

namespace {
constexpr std::size_t most_samples = std::size_t(1) << 32;
}

Data load_data(const DataChoice& c, bool stream_allowed) {
  std::error_code error;
  const std::vector<std::string> names = score::dataset_names();
  const bool built_in = std::find(names.begin(), names.end(), c.source) != names.end();
  // A file of that name wins; a name that looks like a path is a file, even a missing one.
  if (std::filesystem::exists(c.source, error) || (!built_in && c.source.find_first_of("/.") != std::string::npos)) {
    if (c.noise > 0) throw UsageError(fmt::format("--noise sets a built-in set's noise; '{}' is a file", c.source));
    return {io::load_csv(c.source), std::nullopt};
  }
  score::Dataset set = score::dataset(c.source, c.noise > 0 ? std::optional<double>(c.noise) : std::nullopt);
  if (c.samples == 0) {
    if (!stream_allowed) throw UsageError("--samples 0 (fresh samples every step) is for training; give a count");
    return {Matrix<double>(), set};
  }
  detail::check_fits_in_memory(fmt::format("--samples {}", c.samples), double(c.samples) * double(set.dim) * 8 * 4,
                               "draw fewer samples");
  return {set.sample(c.samples, c.seed), set};
}

void add_data_options(CLI::App& cmd, DataChoice& c, bool with_seed) {
  add_text(cmd, "--data", c.source,
           "built-in data set (" + fmt::format("{}", fmt::join(score::dataset_names(), ", ")) + ") or a CSV file");
  add_count(cmd, "--samples", c.samples, 0, most_samples,
            c.samples == 0 ? "samples of a built-in set: 0 draws fresh ones every step, a count draws a fixed set"
                           : "samples drawn from a built-in set");
  add_real(cmd, "--noise", c.noise, 0, 1e6, false,
           "a built-in set's noise (ring8: the modes' standard deviation); 0 keeps the set's own");
  if (with_seed) add_seed(cmd, "--seed", c.seed, "seed of everything random");
}

void check_distinct(const std::string& out_flag, const std::string& out, const std::string& in_flag,
                    const std::string& in) {
  std::error_code error;
  const bool same = std::filesystem::exists(in, error) &&
                    (std::filesystem::equivalent(out, in, error) ||
                     std::filesystem::weakly_canonical(out, error) == std::filesystem::weakly_canonical(in, error));
  if (same)
    throw UsageError(
        fmt::format("{} '{}' is the file {} '{}' reads; writing it would destroy the input: choose "
                    "another {}",
                    out_flag, out, in_flag, in, out_flag));
}

void check_dimension(const std::string& model, const nn::Potential& phi, const std::string& data, std::size_t cols) {
  if (static_cast<std::size_t>(phi.dim()) != cols)
    throw UsageError(
        fmt::format("--data '{}' has {} columns, but the model '{}' is on R^{}; give data of the model's "
                    "dimension",
                    data, cols, model, phi.dim()));
}

}  // namespace wengert::cli
