// The samplers, on a uniform grid in u = log t, where the VP probability-flow
// ODE reads dx/du = (x + s) / 2 and the reverse-time SDE dx = (x/2 + s) du + dW.
#include "wengert/diffusion/sample.hpp"

#include <cmath>
#include <random>
#include <fmt/format.h>

#include "support/names.hpp"
#include "wengert/error.hpp"

namespace wengert::diffusion {

namespace {
constexpr detail::Names<Sampler, 3> samplers{
    "sampler", {{{Sampler::langevin, "langevin"}, {Sampler::sde, "sde"}, {Sampler::ode, "ode"}}}};
}  // namespace

std::string to_string(Sampler s) { return samplers.name(s); }
Sampler sampler_from(const std::string& name) { return samplers.parse(name); }

namespace {
void add_scaled(Matrix<double>& x, const Matrix<double>& y, double a) {  // x += a y
  for (std::size_t i = 0; i < x.rows() * x.cols(); ++i) x.data()[i] += a * y.data()[i];
}
}  // namespace

Matrix<double> flow(const ScoreField& score, Matrix<double> x, double t_from, double t_to, std::size_t steps) {
  if (!(t_from > 0 && t_to > 0 && t_from <= 1 && t_to <= 1) || steps == 0)
    throw UsageError(fmt::format("flow: levels {} -> {} must be in (0, 1], with steps > 0", t_from, t_to));
  // dx/du = (x + s(x, e^u)) / 2, u = log t: Heun's method (the trapezoid with an Euler predictor).
  const double u0 = std::log(t_from), du = (std::log(t_to) - u0) / double(steps);
  auto velocity = [&](const Matrix<double>& at, double u) {
    Matrix<double> v = score(at, std::exp(u));
    for (std::size_t i = 0; i < v.rows() * v.cols(); ++i) v.data()[i] = 0.5 * (v.data()[i] + at.data()[i]);
    return v;
  };
  for (std::size_t k = 0; k < steps; ++k) {
    const double u = u0 + du * double(k);
    Matrix<double> v1 = velocity(x, u), predicted = x;
    add_scaled(predicted, v1, du);
    Matrix<double> v2 = velocity(predicted, u + du);
    add_scaled(x, v1, 0.5 * du);
    add_scaled(x, v2, 0.5 * du);
  }
  return x;
}

namespace {

// Standard normal entries from the sampler's stream.
class Noise {
 public:
  explicit Noise(std::uint64_t seed) : rng_(seed) {}
  void fill(Matrix<double>& into) {
    for (std::size_t i = 0; i < into.rows() * into.cols(); ++i) into.data()[i] = normal_(rng_);
  }

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<double> normal_;
};

// Reverse-time SDE by Euler–Maruyama on the grid u_k = log t_k: x += (x/2 + s) δ + sqrt(δ) ξ with δ = Δu.
void reverse_sde(const ScoreField& score, Matrix<double>& x, double u0, double du, std::size_t steps, Noise& noise) {
  Matrix<double> xi(x.rows(), x.cols());
  for (std::size_t k = 0; k < steps; ++k) {
    const Matrix<double> s = score(x, std::exp(u0 + du * double(k)));
    noise.fill(xi);
    for (std::size_t i = 0; i < x.rows() * x.cols(); ++i)
      x.data()[i] += (0.5 * x.data()[i] + s.data()[i]) * du + std::sqrt(du) * xi.data()[i];
  }
}

// Annealed Langevin: at each level, x += ε s + sqrt(2ε) ξ with ε shrinking like the noise variance.
void annealed_langevin(const ScoreField& score, Matrix<double>& x, double u0, double du, const SampleOptions& options,
                       Noise& noise) {
  Matrix<double> xi(x.rows(), x.cols());
  for (std::size_t k = 0; k <= options.steps; ++k) {
    const double t = std::exp(u0 + du * double(k));
    const double epsilon = options.langevin_scale * (1 - t + options.langevin_floor);
    for (std::size_t j = 0; j < options.langevin_steps; ++j) {
      const Matrix<double> s = score(x, t);
      noise.fill(xi);
      for (std::size_t i = 0; i < x.rows() * x.cols(); ++i)
        x.data()[i] += epsilon * s.data()[i] + std::sqrt(2 * epsilon) * xi.data()[i];
    }
  }
}

}  // namespace

Matrix<double> sample(Sampler kind, const ScoreField& score, std::size_t n, std::size_t d,
                      const SampleOptions& options) {
  if (n == 0 || d == 0 || options.steps == 0)
    throw UsageError(fmt::format("sample: n = {}, d = {}, steps = {}; all must be positive", n, d, options.steps));
  if (!(options.t_start > 0 && options.t_start < options.t_end && options.t_end <= 1))
    throw UsageError(
        fmt::format("sample: levels {} -> {} must satisfy 0 < t_start < t_end <= 1", options.t_start, options.t_end));
  Noise noise(options.seed);
  Matrix<double> x(n, d);  // at t_start the law of x_t is within sqrt(t_start) of N(0, I)
  noise.fill(x);
  if (kind == Sampler::ode) return flow(score, x, options.t_start, options.t_end, options.steps);
  const double u0 = std::log(options.t_start), du = (std::log(options.t_end) - u0) / double(options.steps);
  if (kind == Sampler::sde)
    reverse_sde(score, x, u0, du, options.steps, noise);
  else
    annealed_langevin(score, x, u0, du, options, noise);
  return x;
}

}  // namespace wengert::diffusion
