// The samplers. With y = x_t / sqrt(t) = x + sigma z, the denoiser
// D(y, sigma) = E[x | y] = y + sigma² ∇y log p_sigma(y) is the one function they
// need: the probability-flow ODE reads dy/dsigma = (y - D)/sigma, and the solvers
// below are written in D. The last step of each goes to sigma = 0, where the
// ODE's Euler step is D itself: Tweedie's denoising.
#include "wengert/diffusion/sample.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <fmt/format.h>

#include "support/names.hpp"
#include "wengert/error.hpp"

namespace wengert::diffusion {

namespace {
constexpr detail::Names<Sampler, 4> samplers{
    "sampler",
    {{{Sampler::heun, "heun"}, {Sampler::dpm, "dpm"}, {Sampler::sde, "sde"}, {Sampler::langevin, "langevin"}}}};
}  // namespace

std::string to_string(Sampler s) { return samplers.name(s); }
Sampler sampler_from(const std::string& name) { return samplers.parse(name); }

std::vector<double> karras_levels(std::size_t n, double sigma_min, double sigma_max, double rho) {
  if (n == 0 || !(sigma_min > 0 && sigma_min < sigma_max && std::isfinite(sigma_max)) || !(rho > 0))
    throw UsageError(
        fmt::format("karras_levels: n = {}, sigma in [{}, {}], rho = {}; need n > 0, 0 < sigma_min < "
                    "sigma_max, rho > 0",
                    n, sigma_min, sigma_max, rho));
  std::vector<double> levels(n, sigma_max);
  const double top = std::pow(sigma_max, 1 / rho), bottom = std::pow(sigma_min, 1 / rho);
  for (std::size_t i = 1; i < n; ++i) levels[i] = std::pow(top + double(i) / double(n - 1) * (bottom - top), rho);
  return levels;
}

Matrix<double> denoise(const ScoreField& score, const Matrix<double>& x_t, double t) {
  if (!(t > 0 && t <= 1)) throw UsageError(fmt::format("denoise: t = {} must be in (0, 1]", t));
  Matrix<double> x = score(x_t, t);
  for (std::size_t i = 0; i < x.rows() * x.cols(); ++i)
    x.data()[i] = (x_t.data()[i] + (1 - t) * x.data()[i]) / std::sqrt(t);
  return x;
}

namespace {

// D(y, sigma) from the score field at x_t = sqrt(t) y, t = 1/(1 + sigma²).
class Denoiser {
 public:
  explicit Denoiser(const ScoreField& score) : score_(score) {}
  Matrix<double> operator()(const Matrix<double>& y, double sigma) {
    const double t = 1 / (1 + sigma * sigma);
    Matrix<double> x_t = y;
    for (std::size_t i = 0; i < y.rows() * y.cols(); ++i) x_t.data()[i] *= std::sqrt(t);
    return denoise(score_, x_t, t);
  }

 private:
  const ScoreField& score_;
};

// out = a x + b y, entry by entry.
Matrix<double> combine(double a, const Matrix<double>& x, double b, const Matrix<double>& y) {
  Matrix<double> out(x.rows(), x.cols());
  for (std::size_t i = 0; i < x.rows() * x.cols(); ++i) out.data()[i] = a * x.data()[i] + b * y.data()[i];
  return out;
}

// Standard normal entries from the sampler's stream, for the rows `share` of
// `rows`: every row's entries are drawn, so a share gets what one process would.
class Noise {
 public:
  Noise(std::uint64_t seed, std::size_t rows, nn::RowShare share) : rng_(seed), rows_(rows), share_(share) {}
  void add(Matrix<double>& x, double scale) {
    for (std::size_t r = 0; r < rows_; ++r)
      for (std::size_t j = 0; j < x.cols(); ++j) {
        const double z = normal_(rng_);
        if (r >= share_.begin && r < share_.end) x(r - share_.begin, j) += scale * z;
      }
  }

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<double> normal_;
  std::size_t rows_;
  nn::RowShare share_;
};

// EDM's Heun: an Euler step along dy/dsigma = (y - D)/sigma, corrected by the
// slope at its end (the trapezoid), except on the last step to sigma = 0.
Matrix<double> heun(Denoiser& d, Matrix<double> y, const std::vector<double>& sigma) {
  for (std::size_t i = 0; i + 1 < sigma.size(); ++i) {
    const double from = sigma[i], to = sigma[i + 1];
    const Matrix<double> slope = combine(1 / from, y, -1 / from, d(y, from));
    Matrix<double> end = combine(1, y, to - from, slope);
    if (to > 0) {
      const Matrix<double> end_slope = combine(1 / to, end, -1 / to, d(end, to));
      for (std::size_t k = 0; k < y.rows() * y.cols(); ++k)
        end.data()[k] = y.data()[k] + (to - from) * 0.5 * (slope.data()[k] + end_slope.data()[k]);
    }
    y = std::move(end);
  }
  return y;
}

// DPM-Solver++(2M) (Lu et al. 2022) in y: the ODE solved exactly for a D that is
// linear in log sigma, fitted through the last two evaluations. With or without
// noise: the SDE variant (eta = 1) shrinks y by (sigma'/sigma)² and adds back
// noise of the right variance; the ODE variant shrinks by sigma'/sigma.
Matrix<double> dpm_2m(Denoiser& d, Matrix<double> y, const std::vector<double>& sigma, Noise* noise) {
  Matrix<double> previous;
  double previous_h = 0;
  for (std::size_t i = 0; i + 1 < sigma.size(); ++i) {
    const double from = sigma[i], to = sigma[i + 1];
    Matrix<double> now = d(y, from);
    if (to == 0) return now;  // Tweedie
    const double h = std::log(from / to), keep = noise ? std::pow(to / from, 2) : to / from;
    Matrix<double> target = now;  // D extrapolated to the middle of the step
    if (previous.rows() > 0) {
      const double r = previous_h / h;
      target = combine(1 + 1 / (2 * r), now, -1 / (2 * r), previous);
    }
    y = combine(keep, y, 1 - keep, target);
    if (noise) noise->add(y, to * std::sqrt(1 - std::exp(-2 * h)));
    previous = std::move(now);
    previous_h = h;
  }
  return y;
}

// Annealed Langevin at each level, y += eps ∇log p_sigma + sqrt(2 eps) ξ with eps = c sigma²,
// then Tweedie's denoising at the last level.
Matrix<double> langevin(Denoiser& d, Matrix<double> y, const std::vector<double>& sigma, const SampleOptions& options,
                        Noise& noise) {
  for (std::size_t i = 0; i + 1 < sigma.size(); ++i) {
    const double eps = options.langevin_step * sigma[i] * sigma[i];
    for (std::size_t k = 0; k < options.langevin_steps; ++k) {
      const Matrix<double> score = combine(-1 / (sigma[i] * sigma[i]), y, 1 / (sigma[i] * sigma[i]), d(y, sigma[i]));
      y = combine(1, y, eps, score);
      noise.add(y, std::sqrt(2 * eps));
    }
  }
  return d(y, sigma[sigma.size() - 2]);
}

// The levels for a budget of evaluations, ending with sigma = 0.
std::vector<double> levels_for(Sampler kind, const SampleOptions& o) {
  std::size_t n = o.evaluations;                           // dpm, sde: one evaluation per level
  if (kind == Sampler::heun) n = (o.evaluations + 1) / 2;  // two per step but the last
  if (kind == Sampler::langevin) n = (o.evaluations - 1) / o.langevin_steps;
  const double lowest = kind == Sampler::langevin ? std::max(o.sigma_min, o.langevin_sigma_min) : o.sigma_min;
  std::vector<double> sigma = karras_levels(n, lowest, o.sigma_max, o.rho);
  sigma.push_back(0);
  return sigma;
}

void check(Sampler kind, std::size_t n, std::size_t d, const SampleOptions& o) {
  if (n == 0 || d == 0) throw UsageError(fmt::format("sample: n = {} and d = {} must be positive", n, d));
  const std::size_t least = kind == Sampler::langevin ? o.langevin_steps + 1 : 1;
  if (o.evaluations < least || (kind == Sampler::langevin && o.langevin_steps == 0))
    throw UsageError(fmt::format("sample: {} score evaluations; the {} sampler needs at least {}", o.evaluations,
                                 to_string(kind), std::max<std::size_t>(least, 2)));
  if (!(o.data_scale >= 0 && std::isfinite(o.data_scale)))
    throw UsageError(fmt::format("sample: data_scale = {}; use the data's scale, or 0", o.data_scale));
  if (!(o.langevin_step > 0 && o.langevin_step < 1))
    throw UsageError(fmt::format("sample: langevin_step = {}; use a number in (0, 1)", o.langevin_step));
}

// The rows `share` of the n samples one process draws.
Matrix<double> sample_rows(Sampler kind, const ScoreField& score, std::size_t n, std::size_t d, nn::RowShare share,
                           const SampleOptions& options) {
  const std::vector<double> sigma = levels_for(kind, options);
  Noise noise(options.seed, n, share);
  Matrix<double> y(share.size(), d);
  noise.add(y, std::hypot(sigma[0], options.data_scale));  // at sigma_max the data is all but lost in the noise
  Denoiser denoiser(score);
  switch (kind) {
    case Sampler::heun: return heun(denoiser, std::move(y), sigma);
    case Sampler::dpm: return dpm_2m(denoiser, std::move(y), sigma, nullptr);
    case Sampler::sde: return dpm_2m(denoiser, std::move(y), sigma, &noise);
    case Sampler::langevin: return langevin(denoiser, std::move(y), sigma, options, noise);
  }
  return y;
}

}  // namespace

Matrix<double> sample(Sampler kind, const ScoreField& score, std::size_t n, std::size_t d,
                      const SampleOptions& options) {
  check(kind, n, d, options);
  nn::Communicator& comm = options.communicator ? *options.communicator : nn::single_process();
  const nn::RowShare share = nn::share_rows(n, comm);
  if (comm.size() == 1) return sample_rows(kind, score, n, d, share, options);
  Matrix<double> all(n, d);
  if (share.size() > 0) {
    const Matrix<double> mine = sample_rows(kind, score, n, d, share, options);
    std::copy_n(mine.data(), mine.rows() * d, &all(share.begin, 0));
  }
  nn::gather_rows({all.data(), n * d}, d, share, comm);
  return all;
}

Matrix<double> flow(const ScoreField& score, Matrix<double> x, double t_from, double t_to, std::size_t steps) {
  if (!(t_from > 0 && t_to > 0 && t_from <= 1 && t_to <= 1) || steps == 0)
    throw UsageError(fmt::format("flow: levels {} -> {} must be in (0, 1], with steps > 0", t_from, t_to));
  // dx/du = (x + s(x, e^u)) / 2, u = log t: Heun's method (the trapezoid with an Euler predictor).
  const double u0 = std::log(t_from), du = (std::log(t_to) - u0) / double(steps);
  auto velocity = [&](const Matrix<double>& at, double u) { return combine(0.5, at, 0.5, score(at, std::exp(u))); };
  for (std::size_t k = 0; k < steps; ++k) {
    const double u = u0 + du * double(k);
    const Matrix<double> v1 = velocity(x, u);
    const Matrix<double> v2 = velocity(combine(1, x, du, v1), u + du);
    x = combine(1, x, 0.5 * du, combine(1, v1, 1, v2));
  }
  return x;
}

}  // namespace wengert::diffusion
