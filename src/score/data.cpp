// The built-in data sets by name.
#include "wengert/score/data.hpp"

#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::score {

std::vector<std::string> dataset_names() {
  return {"gaussian", "ring8", "two_moons", "rings", "checkerboard", "swiss_roll"};
}

Dataset dataset(const std::string& name, std::optional<double> noise) {
  if (noise && !(*noise > 0 && std::isfinite(*noise)))
    throw UsageError(fmt::format("dataset '{}': noise {} must be a positive number", name, *noise));
  if (name == "gaussian") return gaussian(2, 0, noise.value_or(1.0));
  if (name == "ring8") return ring_of_gaussians(8, 2, noise.value_or(0.2));
  if (name == "two_moons") return two_moons(noise.value_or(0.1));
  if (name == "rings") return concentric_rings(noise.value_or(0.1));
  if (name == "swiss_roll") return swiss_roll(noise.value_or(0.1));
  if (name == "checkerboard") {
    if (noise) throw UsageError("dataset 'checkerboard' is uniform on its squares; it has no noise to set");
    return checkerboard();
  }
  throw UsageError(
      fmt::format("data set '{}' is not known; use one of {}, or a CSV file", name, fmt::join(dataset_names(), ", ")));
}

}  // namespace wengert::score
