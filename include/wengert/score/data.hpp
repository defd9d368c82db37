// Data sets with exact samplers, and, for every built-in, the exact density and
// score (in closed form, or by quadrature along a curve to 1e-9), the regions
// its mass is shared between, and the distance to its support: the answers a
// learned model and its samples are judged against.
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
  Matrix<double> means;         ///< (k, d)
  std::vector<double> stds;     ///< each component's standard deviation
  std::vector<double> weights;  ///< each component's weight (they sum to 1)
};

/// A data set with what is known about it exactly: samples, and where known the
/// score, the density, its regions and the distance to its support.
struct Dataset {
  std::string name;     ///< as dataset() knows it
  std::size_t dim = 0;  ///< d
  /// n exact samples, reproducible from the seed.
  std::function<Matrix<double>(std::size_t n, std::uint64_t seed)> sample;
  /// The true score ∇x log p at each row, (n, d); empty when unknown.
  std::function<Matrix<double>(const Matrix<double>& x)> score;
  /// The true log-density at each row, (n, 1); empty when unknown (-inf where p = 0).
  std::function<Matrix<double>(const Matrix<double>& x)> log_density;
  /// Set for Gaussian mixtures: what the exact scores above come from.
  std::optional<Mixture> mixture;
  /// The region of each row (its nearest mode, ring, moon or square), and the
  /// true mass of each region: how a model shares its mass between the parts
  /// of the data. Empty when the data has no parts.
  std::function<std::vector<std::size_t>(const Matrix<double>& x)> region;
  std::vector<double> region_mass;  ///< the true mass of each region
  /// Each row's distance to the data's support (the nearest mode centre, curve
  /// or ring): blurred samples sit further from it than exact ones.
  std::function<std::vector<double>(const Matrix<double>& x)> support_distance;
};

/// A mixture of isotropic Gaussians: means (k, d), one standard deviation and weight per component.
Dataset gaussian_mixture(std::string name, Matrix<double> means, std::vector<double> stds, std::vector<double> weights);
/// N(mean, std² I) in d dimensions.
Dataset gaussian(std::size_t d, double mean = 0, double std = 1);
/// k Gaussians of standard deviation std on a circle of the given radius (the "8 Gaussians" set).
Dataset ring_of_gaussians(std::size_t k = 8, double radius = 2, double std = 0.2);
/// scikit-learn's make_moons: the arcs (cos t, sin t) and (1 - cos t, 1/2 - sin t), t in [0, π],
/// equally likely, plus N(0, noise² I).
Dataset two_moons(double noise = 0.1);
/// Two rings of radii 1 and 2, equally likely, the radius perturbed by N(0, noise²) (radial noise).
Dataset concentric_rings(double noise = 0.1);
/// Uniform on the 8 black squares of a 4 x 4 board on [-2, 2]².
Dataset checkerboard();
/// The spiral t (cos t, sin t) / 5, t uniform in [1.5π, 4.5π], plus N(0, noise² I).
Dataset swiss_roll(double noise = 0.1);

/// The built-in sets by name: gaussian, ring8, two_moons, rings, checkerboard,
/// swiss_roll. `noise`, when given, replaces the set's own (ring8's standard
/// deviation, the noise of the moons, rings and roll).
Dataset dataset(const std::string& name, std::optional<double> noise = std::nullopt);
std::vector<std::string> dataset_names();  ///< the names dataset() knows

}  // namespace wengert::score
