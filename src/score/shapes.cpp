// Two data sets with exact densities in closed form: two rings with radial
// noise, and the checkerboard.
#include <cmath>
#include <numbers>
#include <random>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/score/data.hpp"

namespace wengert::score {

namespace {

constexpr double radii[] = {1.0, 2.0};

double normal_density(double x, double mean, double sd) {
  const double z = (x - mean) / sd;
  return std::exp(-0.5 * z * z) / (sd * std::sqrt(2 * std::numbers::pi));
}

// The radial density g(ρ) = Σ_k ½ [N(ρ; r_k, σ²) + N(-ρ; r_k, σ²)] (the second term: the
// rare negative radii, which land across the origin) and its derivative.
std::pair<double, double> radial(double rho, double noise) {
  double g = 0, slope = 0;
  for (double r : radii) {
    const double plus = normal_density(rho, r, noise), minus = normal_density(-rho, r, noise);
    g += 0.5 * (plus + minus);
    slope += 0.5 * (plus * (r - rho) - minus * (rho + r)) / (noise * noise);
  }
  return {g, slope};
}

}  // namespace

Dataset concentric_rings(double noise) {
  if (!(noise > 0)) throw UsageError(fmt::format("rings: noise {} must be positive", noise));
  Dataset set;
  set.name = "rings";
  set.dim = 2;
  set.sample = [noise](std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> angle(0, 2 * std::numbers::pi);
    std::normal_distribution<double> e(0, noise);
    Matrix<double> x(n, 2);
    for (std::size_t i = 0; i < n; ++i) {
      const double r = radii[rng() & 1] + e(rng), theta = angle(rng);
      x(i, 0) = r * std::cos(theta);
      x(i, 1) = r * std::sin(theta);
    }
    return x;
  };
  // In polar coordinates the density is g(ρ) / (2πρ): the radius's law, spread evenly round the circle.
  set.log_density = [noise](const Matrix<double>& x) {
    Matrix<double> out(x.rows(), 1);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      const double rho = std::hypot(x(i, 0), x(i, 1));
      out(i, 0) = std::log(radial(rho, noise).first / (2 * std::numbers::pi * rho));
    }
    return out;
  };
  set.score = [noise](const Matrix<double>& x) {  // ∇ log p = (g'/g - 1/ρ) x/ρ
    Matrix<double> s(x.rows(), 2);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      const double rho = std::hypot(x(i, 0), x(i, 1));
      const auto [g, slope] = radial(rho, noise);
      const double along = slope / g - 1 / rho;
      s(i, 0) = along * x(i, 0) / rho;
      s(i, 1) = along * x(i, 1) / rho;
    }
    return s;
  };
  set.region = [](const Matrix<double>& x) {  // inside or outside the circle half way between the rings
    std::vector<std::size_t> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) out[i] = std::hypot(x(i, 0), x(i, 1)) < 1.5 ? 0 : 1;
    return out;
  };
  set.region_mass = {0.5, 0.5};
  set.support_distance = [](const Matrix<double>& x) {
    std::vector<double> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) {
      const double rho = std::hypot(x(i, 0), x(i, 1));
      out[i] = std::min(std::abs(rho - radii[0]), std::abs(rho - radii[1]));
    }
    return out;
  };
  return set;
}

namespace {

// The black squares of the board: unit squares [a, a + 1) x [b, b + 1) on [-2, 2]² with a + b even.
bool black(double x, double y) {
  if (x < -2 || x >= 2 || y < -2 || y >= 2) return false;
  return (static_cast<int>(std::floor(x)) + static_cast<int>(std::floor(y))) % 2 == 0;
}

// The nearest black square (an index 0..7) and the distance to it.
std::pair<std::size_t, double> nearest_square(double x, double y) {
  std::size_t best = 0, index = 0;
  double distance = INFINITY;
  for (int a = -2; a < 2; ++a)
    for (int b = -2; b < 2; ++b) {
      if ((a + b) % 2 != 0) continue;
      const double dx = std::max({a - x, 0.0, x - (a + 1)}), dy = std::max({b - y, 0.0, y - (b + 1)});
      if (std::hypot(dx, dy) < distance) {
        distance = std::hypot(dx, dy);
        best = index;
      }
      ++index;
    }
  return {best, distance};
}

}  // namespace

Dataset checkerboard() {
  Dataset set;
  set.name = "checkerboard";
  set.dim = 2;
  set.sample = [](std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-2, 2);
    Matrix<double> x(n, 2);
    for (std::size_t i = 0; i < n; ++i) do {  // uniform on the black squares, by rejection
        x(i, 0) = u(rng);
        x(i, 1) = u(rng);
      } while (!black(x(i, 0), x(i, 1)));
    return x;
  };
  set.log_density = [](const Matrix<double>& x) {
    Matrix<double> out(x.rows(), 1);
    for (std::size_t i = 0; i < x.rows(); ++i) out(i, 0) = black(x(i, 0), x(i, 1)) ? std::log(1.0 / 8) : -INFINITY;
    return out;
  };
  set.region = [](const Matrix<double>& x) {
    std::vector<std::size_t> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) out[i] = nearest_square(x(i, 0), x(i, 1)).first;
    return out;
  };
  set.region_mass.assign(8, 1.0 / 8);
  set.support_distance = [](const Matrix<double>& x) {
    std::vector<double> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) out[i] = nearest_square(x(i, 0), x(i, 1)).second;
    return out;
  };
  return set;
}

}  // namespace wengert::score
