// Mixtures of isotropic Gaussians: exact samples, score, density, regions (the
// nearest mean) and support (the means).
#include <cmath>
#include <numbers>
#include <random>
#include <fmt/format.h>

#include "score/shared.hpp"
#include "wengert/error.hpp"
#include "wengert/score/data.hpp"

namespace wengert::score {

Dataset gaussian_mixture(std::string name, Matrix<double> means, std::vector<double> stds,
                         std::vector<double> weights) {
  const std::size_t k = means.rows(), d = means.cols();
  if (k == 0 || stds.size() != k || weights.size() != k)
    throw UsageError(
        fmt::format("gaussian_mixture: {} means, {} standard deviations and {} weights; give one of each "
                    "per component",
                    k, stds.size(), weights.size()));
  double total = 0;
  for (double w : weights) total += w;
  for (double& w : weights) w /= total;
  Dataset set;
  set.name = std::move(name);
  set.dim = d;
  set.mixture = Mixture{means, stds, weights};
  set.sample = [=](std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
    std::normal_distribution<double> normal;
    Matrix<double> x(n, d);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = pick(rng);
      for (std::size_t j = 0; j < d; ++j) x(i, j) = means(c, j) + stds[c] * normal(rng);
    }
    return x;
  };
  // log p(x) = log Σ_c w_c N(x; m_c, s_c² I); the score is Σ_c r_c(x) (m_c - x)/s_c² with responsibilities r_c.
  auto component_logs = [=](const Matrix<double>& x, std::size_t i) {
    std::vector<double> logs(k);
    for (std::size_t c = 0; c < k; ++c) {
      double r2 = 0;
      for (std::size_t j = 0; j < d; ++j) r2 += (x(i, j) - means(c, j)) * (x(i, j) - means(c, j));
      logs[c] = std::log(weights[c]) - 0.5 * r2 / (stds[c] * stds[c]) -
                double(d) * (std::log(stds[c]) + 0.5 * std::log(2 * std::numbers::pi));
    }
    return logs;
  };
  set.log_density = [=](const Matrix<double>& x) {
    Matrix<double> out(x.rows(), 1);
    for (std::size_t i = 0; i < x.rows(); ++i) out(i, 0) = detail::log_sum_exp(component_logs(x, i));
    return out;
  };
  set.region = [=](const Matrix<double>& x) {  // the nearest mean
    std::vector<std::size_t> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) {
      double best = INFINITY;
      for (std::size_t c = 0; c < k; ++c) {
        double r2 = 0;
        for (std::size_t j = 0; j < d; ++j) r2 += (x(i, j) - means(c, j)) * (x(i, j) - means(c, j));
        if (r2 < best) {
          best = r2;
          out[i] = c;
        }
      }
    }
    return out;
  };
  set.region_mass = weights;
  set.support_distance = [=](const Matrix<double>& x) {  // to the nearest mean
    std::vector<double> out(x.rows(), INFINITY);
    for (std::size_t i = 0; i < x.rows(); ++i)
      for (std::size_t c = 0; c < k; ++c) {
        double r2 = 0;
        for (std::size_t j = 0; j < d; ++j) r2 += (x(i, j) - means(c, j)) * (x(i, j) - means(c, j));
        out[i] = std::min(out[i], std::sqrt(r2));
      }
    return out;
  };
  set.score = [=](const Matrix<double>& x) {
    Matrix<double> s(x.rows(), d);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      std::vector<double> logs = component_logs(x, i);
      const double norm = detail::log_sum_exp(logs);
      for (std::size_t c = 0; c < k; ++c) {
        const double r = std::exp(logs[c] - norm);
        for (std::size_t j = 0; j < d; ++j) s(i, j) += r * (means(c, j) - x(i, j)) / (stds[c] * stds[c]);
      }
    }
    return s;
  };
  return set;
}

Dataset gaussian(std::size_t d, double mean, double std) {
  return gaussian_mixture(fmt::format("gaussian{}", d), Matrix<double>(1, d, mean), {std}, {1.0});
}

Dataset ring_of_gaussians(std::size_t k, double radius, double std) {
  Matrix<double> means(k, 2);
  for (std::size_t c = 0; c < k; ++c) {
    const double angle = 2 * std::numbers::pi * double(c) / double(k);
    means(c, 0) = radius * std::cos(angle);
    means(c, 1) = radius * std::sin(angle);
  }
  return gaussian_mixture(fmt::format("ring{}", k), means, std::vector<double>(k, std), std::vector<double>(k, 1.0));
}

}  // namespace wengert::score
