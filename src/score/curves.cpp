// Data on curves and shapes in the plane: two moons and the swiss roll (points
// of a curve plus Gaussian noise), two rings with radial noise, the
// checkerboard. Each has its exact density and, where it exists, its score:
//   noisy curves   p(x) = Σ_c w_c ∫ N(x; c(t), σ² I) dt / |T_c|, by the midpoint rule
//                  with nodes σ/16 apart along the curve (the integrand is a
//                  Gaussian bump that wide: the rule is exact to rounding away
//                  from the curve's two ends);
//   rings          p(x) = Σ_k ½ [N(ρ; r_k, σ²) + N(-ρ; r_k, σ²)] / (2πρ), ρ = ‖x‖, in closed form;
//   checkerboard   1/8 on the black squares, 0 elsewhere.
#include <array>
#include <cmath>
#include <numbers>
#include <random>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/score/data.hpp"

namespace wengert::score {

namespace {

using Point = std::array<double, 2>;

struct Curve {
  std::function<Point(double)> at;
  double t0, t1, weight;
};

// The quadrature nodes of the curves: points and their weights (Σ = 1), and the curve of each.
struct Nodes {
  std::vector<Point> point;
  std::vector<double> log_weight;
  std::vector<std::size_t> curve;
};

Nodes quadrature(const std::vector<Curve>& curves, double noise) {
  Nodes nodes;
  for (std::size_t c = 0; c < curves.size(); ++c) {
    const Curve& curve = curves[c];
    double length = 0;  // of a fine polyline
    for (int k = 0; k < 1000; ++k) {
      const Point p = curve.at(curve.t0 + (curve.t1 - curve.t0) * k / 1000.0);
      const Point q = curve.at(curve.t0 + (curve.t1 - curve.t0) * (k + 1) / 1000.0);
      length += std::hypot(q[0] - p[0], q[1] - p[1]);
    }
    const auto n = static_cast<std::size_t>(std::ceil(length / (noise / 16))) + 64;
    for (std::size_t k = 0; k < n; ++k) {
      nodes.point.push_back(curve.at(curve.t0 + (curve.t1 - curve.t0) * (double(k) + 0.5) / double(n)));
      nodes.log_weight.push_back(std::log(curve.weight / double(n)));
      nodes.curve.push_back(c);
    }
  }
  return nodes;
}

// log Σ_j w_j N(x; c_j, σ² I) and, if asked, the score Σ_j r_j (c_j - x) / σ² at one point.
// Nodes whose term is below e^-50 of the largest are left out: together they
// weigh less than 1e-17 of the sum.
double log_density_at(const Nodes& nodes, double noise, double x, double y, Point* score) {
  const std::size_t n = nodes.point.size();
  std::vector<double> logs(n);
  double top = -INFINITY;
  for (std::size_t j = 0; j < n; ++j) {
    const double dx = x - nodes.point[j][0], dy = y - nodes.point[j][1];
    logs[j] = nodes.log_weight[j] - 0.5 * (dx * dx + dy * dy) / (noise * noise);
    top = std::max(top, logs[j]);
  }
  double sum = 0, sx = 0, sy = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (logs[j] < top - 50) continue;
    const double r = std::exp(logs[j] - top);
    sum += r;
    sx += r * (nodes.point[j][0] - x);
    sy += r * (nodes.point[j][1] - y);
  }
  if (score) *score = {sx / (sum * noise * noise), sy / (sum * noise * noise)};
  return top + std::log(sum) - std::log(2 * std::numbers::pi * noise * noise);
}

Dataset noisy_curves(std::string name, std::vector<Curve> curves, double noise, bool regions) {
  if (!(noise > 0)) throw UsageError(fmt::format("{}: noise {} must be positive", name, noise));
  const auto nodes = std::make_shared<Nodes>(quadrature(curves, noise));
  Dataset set;
  set.name = std::move(name);
  set.dim = 2;
  set.sample = [curves, noise](std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> weights;
    for (const Curve& c : curves) weights.push_back(c.weight);
    std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<double> e(0, noise);
    Matrix<double> x(n, 2);
    for (std::size_t i = 0; i < n; ++i) {
      const Curve& c = curves[pick(rng)];
      const Point p = c.at(c.t0 + (c.t1 - c.t0) * u(rng));
      x(i, 0) = p[0] + e(rng);
      x(i, 1) = p[1] + e(rng);
    }
    return x;
  };
  set.log_density = [nodes, noise](const Matrix<double>& x) {
    Matrix<double> out(x.rows(), 1);
    for (std::size_t i = 0; i < x.rows(); ++i) out(i, 0) = log_density_at(*nodes, noise, x(i, 0), x(i, 1), nullptr);
    return out;
  };
  set.score = [nodes, noise](const Matrix<double>& x) {
    Matrix<double> s(x.rows(), 2);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      Point g;
      log_density_at(*nodes, noise, x(i, 0), x(i, 1), &g);
      s(i, 0) = g[0];
      s(i, 1) = g[1];
    }
    return s;
  };
  auto nearest = [nodes](double x, double y) {  // (distance, curve) of the nearest node
    double best = INFINITY;
    std::size_t curve = 0;
    for (std::size_t j = 0; j < nodes->point.size(); ++j) {
      const double d = std::hypot(x - nodes->point[j][0], y - nodes->point[j][1]);
      if (d < best) {
        best = d;
        curve = nodes->curve[j];
      }
    }
    return std::pair{best, curve};
  };
  set.support_distance = [nearest](const Matrix<double>& x) {
    std::vector<double> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) out[i] = nearest(x(i, 0), x(i, 1)).first;
    return out;
  };
  if (regions) {
    set.region = [nearest](const Matrix<double>& x) {
      std::vector<std::size_t> out(x.rows());
      for (std::size_t i = 0; i < x.rows(); ++i) out[i] = nearest(x(i, 0), x(i, 1)).second;
      return out;
    };
    for (const Curve& c : curves) set.region_mass.push_back(c.weight);
  }
  return set;
}

}  // namespace

Dataset two_moons(double noise) {
  const double pi = std::numbers::pi;
  return noisy_curves("two_moons",
                      {{[](double t) {
                          return Point{std::cos(t), std::sin(t)};
                        },
                        0, pi, 0.5},
                       {[](double t) {
                          return Point{1 - std::cos(t), 0.5 - std::sin(t)};
                        },
                        0, pi, 0.5}},
                      noise, true);
}

Dataset swiss_roll(double noise) {
  const double pi = std::numbers::pi;
  return noisy_curves("swiss_roll",
                      {{[](double t) {
                          return Point{t * std::cos(t) / 5, t * std::sin(t) / 5};
                        },
                        1.5 * pi, 4.5 * pi, 1.0}},
                      noise, false);
}

}  // namespace wengert::score
