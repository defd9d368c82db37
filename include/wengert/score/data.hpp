// Data sets with exact samplers, and exact scores and densities where they exist.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wengert/matrix.hpp"

namespace wengert::score {

/// The parameters of a mixture of isotropic Gaussians.
struct Mixture {
  Matrix<double> means;  ///< (k, d)
  std::vector<double> stds, weights;
};

struct Dataset {
  std::string name;
  std::size_t dim = 0;
  /// n exact samples, reproducible from the seed.
  std::function<Matrix<double>(std::size_t n, std::uint64_t seed)> sample;
  /// The true score ∇x log p at each row, (n, d); empty when unknown.
  std::function<Matrix<double>(const Matrix<double>& x)> score;
  /// The true log-density at each row, (n, 1); empty when unknown.
  std::function<Matrix<double>(const Matrix<double>& x)> log_density;
  /// Set for Gaussian mixtures: what the exact scores above come from.
  std::optional<Mixture> mixture;
};

/// A mixture of isotropic Gaussians: means (k, d), one standard deviation and weight per component.
Dataset gaussian_mixture(std::string name, Matrix<double> means, std::vector<double> stds, std::vector<double> weights);
/// N(mean, std² I) in d dimensions.
Dataset gaussian(std::size_t d, double mean = 0, double std = 1);
/// k Gaussians of standard deviation std on a circle of the given radius (the "8 Gaussians" set).
Dataset ring_of_gaussians(std::size_t k = 8, double radius = 2, double std = 0.2);
Dataset two_moons(double noise = 0.1);
Dataset concentric_rings(double noise = 0.08);
Dataset checkerboard();
Dataset swiss_roll(double noise = 0.1);

/// The built-in sets by name: gaussian, ring8, two_moons, rings, checkerboard, swiss_roll.
Dataset dataset(const std::string& name);
std::vector<std::string> dataset_names();

}  // namespace wengert::score
