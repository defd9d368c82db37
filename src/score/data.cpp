// Built-in data sets. Mixtures carry their exact score and density, the
// oracle for tests and metrics; the rest are sampled exactly.
#include "wengert/score/data.hpp"

#include <cmath>
#include <numbers>
#include <random>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::score {

namespace {
// log Σ_k exp(a_k) without overflow.
double log_sum_exp(const std::vector<double>& a) {
  double m = -INFINITY;
  for (double v : a) m = std::max(m, v);
  double s = 0;
  for (double v : a) s += std::exp(v - m);
  return m + std::log(s);
}
}  // namespace

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
    for (std::size_t i = 0; i < x.rows(); ++i) out(i, 0) = log_sum_exp(component_logs(x, i));
    return out;
  };
  set.score = [=](const Matrix<double>& x) {
    Matrix<double> s(x.rows(), d);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      std::vector<double> logs = component_logs(x, i);
      const double norm = log_sum_exp(logs);
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

namespace {
Dataset sampled(std::string name, std::function<void(std::mt19937_64&, double&, double&)> draw) {
  Dataset set;
  set.name = std::move(name);
  set.dim = 2;
  set.sample = [draw](std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    Matrix<double> x(n, 2);
    for (std::size_t i = 0; i < n; ++i) draw(rng, x(i, 0), x(i, 1));
    return x;
  };
  return set;
}
}  // namespace

Dataset two_moons(double noise) {
  return sampled("two_moons", [noise](std::mt19937_64& rng, double& a, double& b) {
    std::uniform_real_distribution<double> u(0, std::numbers::pi);
    std::normal_distribution<double> e(0, noise);
    const double t = u(rng);
    if (rng() & 1) {
      a = std::cos(t);
      b = std::sin(t);
    } else {
      a = 1 - std::cos(t);
      b = 0.5 - std::sin(t);
    }
    a = 1.5 * (a - 0.5) + e(rng);
    b = 1.5 * (b - 0.25) + e(rng);  // centred, about 3 wide
  });
}

Dataset concentric_rings(double noise) {
  return sampled("rings", [noise](std::mt19937_64& rng, double& a, double& b) {
    std::uniform_real_distribution<double> u(0, 2 * std::numbers::pi);
    std::normal_distribution<double> e(0, noise);
    const double r = (rng() % 3 + 1) * 0.7, t = u(rng);
    a = r * std::cos(t) + e(rng);
    b = r * std::sin(t) + e(rng);
  });
}

Dataset checkerboard() {
  return sampled("checkerboard", [](std::mt19937_64& rng, double& a, double& b) {
    std::uniform_real_distribution<double> u(-2, 2);
    for (;;) {  // uniform on the black squares of a 4 x 4 board on [-2, 2]²
      a = u(rng);
      b = u(rng);
      if ((static_cast<int>(std::floor(a)) + static_cast<int>(std::floor(b))) % 2 == 0) return;
    }
  });
}

Dataset swiss_roll(double noise) {
  return sampled("swiss_roll", [noise](std::mt19937_64& rng, double& a, double& b) {
    std::uniform_real_distribution<double> u(1.5 * std::numbers::pi, 4.5 * std::numbers::pi);
    std::normal_distribution<double> e(0, noise);
    const double t = u(rng);
    a = t * std::cos(t) / 5 + e(rng);
    b = t * std::sin(t) / 5 + e(rng);
  });
}

std::vector<std::string> dataset_names() {
  return {"gaussian", "ring8", "two_moons", "rings", "checkerboard", "swiss_roll"};
}

Dataset dataset(const std::string& name) {
  if (name == "gaussian") return gaussian(2);
  if (name == "ring8") return ring_of_gaussians();
  if (name == "two_moons") return two_moons();
  if (name == "rings") return concentric_rings();
  if (name == "checkerboard") return checkerboard();
  if (name == "swiss_roll") return swiss_roll();
  throw UsageError(
      fmt::format("data set '{}' is not known; use one of {}, or a CSV file", name, fmt::join(dataset_names(), ", ")));
}

}  // namespace wengert::score
