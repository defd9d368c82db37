// Diffusion: exact noisy mixtures, training a time-conditioned score, three
// samplers on a uniform grid in u = log t, and sample-quality distances.
#include "wengert/diffusion/diffusion.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <fmt/format.h>

#include "wengert/ad.hpp"
#include "wengert/error.hpp"
#include "wengert/nn/optimizer.hpp"
#include "wengert/program.hpp"

namespace wengert::diffusion {

Matrix<double> homotopy(const Matrix<double>& x, const Matrix<double>& z, const std::vector<double>& t) {
  if (x.rows() != z.rows() || x.cols() != z.cols() || t.size() != x.rows())
    throw ShapeError(fmt::format("homotopy: x is {}x{}, z is {}x{}, t has {} levels; one row and one level per sample",
                                 x.rows(), x.cols(), z.rows(), z.cols(), t.size()));
  Matrix<double> out(x.rows(), x.cols());
  for (std::size_t i = 0; i < x.rows(); ++i)
    for (std::size_t j = 0; j < x.cols(); ++j) out(i, j) = std::sqrt(t[i]) * x(i, j) + std::sqrt(1 - t[i]) * z(i, j);
  return out;
}

score::Dataset noised(const score::Dataset& data, double t) {
  if (!data.mixture)
    throw UsageError(
        fmt::format("noised: '{}' is not a Gaussian mixture; its noisy law has no closed form", data.name));
  if (!(t >= 0 && t <= 1)) throw UsageError(fmt::format("noised: t = {} is outside [0, 1]", t));
  const score::Mixture& m = *data.mixture;
  Matrix<double> means = m.means;  // sqrt(t) mu_k, variance t s_k² + 1 - t
  for (std::size_t i = 0; i < means.rows() * means.cols(); ++i) means.data()[i] *= std::sqrt(t);
  std::vector<double> stds;
  for (double s : m.stds) stds.push_back(std::sqrt(t * s * s + 1 - t));
  return score::gaussian_mixture(fmt::format("{} at t = {}", data.name, t), means, stds, m.weights);
}

ScoreField exact_score(const score::Dataset& data) {
  if (!data.mixture) throw UsageError(fmt::format("exact_score: '{}' is not a Gaussian mixture", data.name));
  return [data](const Matrix<double>& x, double t) { return noised(data, t).score(x); };
}

ScoreField learned_score(const nn::Potential& phi, const std::vector<double>& theta, int threads) {
  if (!phi.tape.has_input("t"))
    throw UsageError("learned_score: the potential has no time input \"t\"; use nn::time_mlp");
  struct State {  // planned once, used by every call
    Program<double> program;
    std::vector<double> theta;
    Matrix<double> t;
  };
  auto state = std::make_shared<State>(
      State{Program<double>(grad(phi.tape, {"x"}, "phi"), {"x_bar"}, {.threads = threads}), theta, {}});
  phi.bind(state->program, std::span<const double>(state->theta));
  return [state](const Matrix<double>& x, double t) {
    if (state->t.rows() != x.rows()) state->t = Matrix<double>(x.rows(), 1);
    std::fill(state->t.data(), state->t.data() + x.rows(), t);
    state->program.set("x", x);
    state->program.set("t", state->t);
    state->program.run();
    Matrix<double> s = to_matrix(state->program.get("x_bar"));
    for (std::size_t i = 0; i < s.rows() * s.cols(); ++i) s.data()[i] = -s.data()[i];
    return s;
  };
}

// ---- training -------------------------------------------------------------------

Tape loss_tape(const nn::Potential& phi, Loss kind) {
  if (!phi.tape.has_input("t"))
    throw UsageError("diffusion::loss_tape: the potential has no time input \"t\"; use nn::time_mlp");
  const Dim d = phi.dim();
  Recorder rec;
  Var x = rec.data("x", d), z = rec.data("z", d), t = rec.data("t", 1);
  Var xt = sqrt(t) * x + sqrt(1.0 - t) * z;  // the homotopy
  std::vector<std::pair<std::string, Var>> args{{"x", xt}, {"t", t}};
  for (const nn::Block& b : phi.blocks)
    args.emplace_back(b.name, rec.parameter(b.name, static_cast<Dim>(b.rows), static_cast<Dim>(b.cols)));
  Var per_sample;
  switch (kind) {
    case Loss::denoising: {  // ½‖sqrt(1 - t) s + z‖² with s = -∇x phi: the score of the noise is -z / sqrt(1 - t)
      Var residual = z - sqrt(1.0 - t) * rec.call(grad(phi.tape, {"x"}, "phi"), args)[1];
      per_sample = 0.5 * dot(residual, residual);
      break;
    }
    case Loss::exact: {  // (1 - t)(½‖∇phi‖² - Δphi) at x_t, by the forward Laplacian
      std::vector<Var> out = rec.call(laplacian(phi.tape, "x", "phi"), args);
      per_sample = (1.0 - t) * (0.5 * dot(out[1], out[1]) - out[2]);
      break;
    }
    case Loss::hutchinson: {  // the Laplacian as vᵀ H v for a probe v
      Var v = rec.data("v", d);
      auto with_probe = args;
      with_probe.emplace_back("x_dot", v);
      std::vector<Var> out = rec.call(hvp(phi.tape, "x", "phi"), with_probe);
      per_sample = (1.0 - t) * (0.5 * dot(out[1], out[1]) - dot(v, out[2]));
      break;
    }
  }
  rec.output("J", mean_rows(per_sample));
  return rec.finish();
}

std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                          const TrainOptions& options) {
  const auto d = static_cast<std::size_t>(phi.dim());
  if (!phi.tape.has_input("t"))
    throw UsageError("diffusion::train: the potential has no time input \"t\"; use nn::time_mlp");
  if (data.cols() != d)
    throw ShapeError(
        fmt::format("diffusion::train: the data has {} columns; the potential is on R^{}", data.cols(), d));
  if (!(options.t_min > 0 && options.t_min < options.t_max && options.t_max < 1))
    throw UsageError(fmt::format("diffusion::train: levels [{}, {}] must satisfy 0 < t_min < t_max < 1", options.t_min,
                                 options.t_max));
  Tape loss = loss_tape(phi, options.loss);
  std::vector<std::string> names{"J"}, wrt;
  for (const nn::Block& b : phi.blocks) names.push_back(b.name + "_bar"), wrt.push_back(b.name);
  Program<double> program(grad(loss, wrt, "J"), names, {.threads = options.threads});
  Matrix<double> xb(options.batch, d), zb(options.batch, d), tb(options.batch, 1), vb(options.batch, d);
  program.set("x", xb);
  program.set("z", zb);
  program.set("t", tb);
  if (options.loss == Loss::hutchinson) program.set("v", vb);
  phi.bind(program, std::span<const double>(theta));
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<std::size_t> row(0, data.rows() - 1);
  // Levels: the noise scale sqrt(1 - t) log-uniform, so that the nearly clean levels, where the
  // score is sharp and the samplers end, are trained as often as the noisy ones.
  std::uniform_real_distribution<double> log_scale(0.5 * std::log(1 - options.t_max),
                                                   0.5 * std::log(1 - options.t_min));
  std::normal_distribution<double> normal;
  nn::Adam adam;
  std::vector<double> g(theta.size());
  double running = 0;
  for (std::size_t step = 1; step <= options.steps; ++step) {
    for (std::size_t i = 0; i < options.batch; ++i) {
      const std::size_t r = row(rng);
      for (std::size_t j = 0; j < d; ++j) xb(i, j) = data(r, j), zb(i, j) = normal(rng);
      const double sigma = std::exp(log_scale(rng));
      tb(i, 0) = 1 - sigma * sigma;
      if (options.loss == Loss::hutchinson)
        for (std::size_t j = 0; j < d; ++j) vb(i, j) = (rng() >> 63) ? 1.0 : -1.0;  // Rademacher probes
    }
    program.run();
    const double j = program.get("J")(0, 0);
    if (!std::isfinite(j))
      throw NonFiniteError(
          fmt::format("diffusion::train: the loss became {} at step {}; lower the learning rate (now {})", j, step,
                      options.learning_rate));
    running += j;
    phi.gather_gradient(program, g);
    const double rate =
        options.learning_rate * 0.5 * (1 + std::cos(std::numbers::pi * double(step - 1) / double(options.steps)));
    adam.step(theta, g, rate);
    if (options.report && step % 500 == 0) options.report(step, running / 500), running = 0;
  }
  return theta;
}

// ---- sampling -------------------------------------------------------------------

std::string to_string(Loss loss) {
  switch (loss) {
    case Loss::denoising: return "denoising";
    case Loss::exact: return "exact";
    case Loss::hutchinson: return "hutchinson";
  }
  return "?";
}

Loss loss_from(const std::string& name) {
  for (Loss l : {Loss::denoising, Loss::exact, Loss::hutchinson})
    if (to_string(l) == name) return l;
  throw UsageError(fmt::format("diffusion loss '{}' is not known; use denoising, exact or hutchinson", name));
}

std::string to_string(Sampler s) {
  switch (s) {
    case Sampler::langevin: return "langevin";
    case Sampler::sde: return "sde";
    case Sampler::ode: return "ode";
  }
  return "?";
}

Sampler sampler_from(const std::string& name) {
  for (Sampler s : {Sampler::langevin, Sampler::sde, Sampler::ode})
    if (to_string(s) == name) return s;
  throw UsageError(fmt::format("sampler '{}' is not known; use langevin, sde or ode", name));
}

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

Matrix<double> sample(Sampler kind, const ScoreField& score, std::size_t n, std::size_t d,
                      const SampleOptions& options) {
  if (n == 0 || d == 0 || options.steps == 0)
    throw UsageError(fmt::format("sample: n = {}, d = {}, steps = {}; all must be positive", n, d, options.steps));
  if (!(options.t_start > 0 && options.t_start < options.t_end && options.t_end <= 1))
    throw UsageError(
        fmt::format("sample: levels {} -> {} must satisfy 0 < t_start < t_end <= 1", options.t_start, options.t_end));
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<double> normal;
  Matrix<double> x(n, d);  // at t_start the law of x_t is within sqrt(t_start) of N(0, I)
  auto noise = [&](Matrix<double>& into) {
    for (std::size_t i = 0; i < into.rows() * into.cols(); ++i) into.data()[i] = normal(rng);
  };
  noise(x);
  if (kind == Sampler::ode) return flow(score, x, options.t_start, options.t_end, options.steps);
  const double u0 = std::log(options.t_start), du = (std::log(options.t_end) - u0) / double(options.steps);
  Matrix<double> xi(n, d);
  for (std::size_t k = 0; k <= options.steps; ++k) {
    const double t = std::exp(u0 + du * double(k));
    if (kind == Sampler::sde) {
      if (k == options.steps) break;
      // Reverse-time SDE, Euler–Maruyama: x += (x/2 + s) δ + sqrt(δ) ξ with δ = Δ log t.
      Matrix<double> s = score(x, t);
      noise(xi);
      for (std::size_t i = 0; i < n * d; ++i)
        x.data()[i] += (0.5 * x.data()[i] + s.data()[i]) * du + std::sqrt(du) * xi.data()[i];
    } else {
      // Annealed Langevin: at each level, x += ε s + sqrt(2ε) ξ with ε shrinking like the noise variance.
      const double epsilon = options.langevin_scale * (1 - t + 0.01);
      for (std::size_t j = 0; j < options.langevin_steps; ++j) {
        Matrix<double> s = score(x, t);
        noise(xi);
        for (std::size_t i = 0; i < n * d; ++i)
          x.data()[i] += epsilon * s.data()[i] + std::sqrt(2 * epsilon) * xi.data()[i];
      }
    }
  }
  return x;
}

// ---- sample quality ------------------------------------------------------------

namespace {
double mean_distance(const Matrix<double>& a, const Matrix<double>& b, bool same) {
  double sum = 0;
  for (std::size_t i = 0; i < a.rows(); ++i)
    for (std::size_t k = same ? i + 1 : 0; k < b.rows(); ++k) {
      double s = 0;
      for (std::size_t j = 0; j < a.cols(); ++j) s += (a(i, j) - b(k, j)) * (a(i, j) - b(k, j));
      sum += std::sqrt(s);
    }
  const double pairs = same ? double(a.rows()) * double(a.rows() - 1) / 2 : double(a.rows()) * double(b.rows());
  return sum / pairs;
}
}  // namespace

double energy_distance(const Matrix<double>& x, const Matrix<double>& y) {
  if (x.cols() != y.cols() || x.rows() < 2 || y.rows() < 2)
    throw ShapeError(fmt::format("energy_distance: samples {}x{} and {}x{}; equal widths and at least 2 rows each",
                                 x.rows(), x.cols(), y.rows(), y.cols()));
  return 2 * mean_distance(x, y, false) - mean_distance(x, x, true) - mean_distance(y, y, true);
}

double sliced_wasserstein(const Matrix<double>& x, const Matrix<double>& y, std::size_t projections,
                          std::uint64_t seed) {
  if (x.cols() != y.cols() || x.rows() != y.rows() || x.rows() == 0)
    throw ShapeError(fmt::format("sliced_wasserstein: samples {}x{} and {}x{}; equal sizes needed", x.rows(), x.cols(),
                                 y.rows(), y.cols()));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> px(x.rows()), py(y.rows()), direction(x.cols());
  double total = 0;
  for (std::size_t p = 0; p < projections; ++p) {
    double norm = 0;
    for (double& e : direction) e = normal(rng), norm += e * e;
    for (double& e : direction) e /= std::sqrt(norm);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      px[i] = py[i] = 0;
      for (std::size_t j = 0; j < x.cols(); ++j) px[i] += direction[j] * x(i, j), py[i] += direction[j] * y(i, j);
    }
    std::sort(px.begin(), px.end());
    std::sort(py.begin(), py.end());
    double w = 0;
    for (std::size_t i = 0; i < px.size(); ++i) w += std::abs(px[i] - py[i]);
    total += w / double(px.size());
  }
  return total / double(projections);
}

Matrix<double> fitted_gaussian(const Matrix<double>& data, std::size_t n, std::uint64_t seed) {
  const std::size_t d = data.cols(), rows = data.rows();
  std::vector<double> mean(d, 0.0);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < d; ++j) mean[j] += data(i, j) / double(rows);
  Matrix<double> cov(d, d), l(d, d);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t a = 0; a < d; ++a)
      for (std::size_t b = 0; b < d; ++b) cov(a, b) += (data(i, a) - mean[a]) * (data(i, b) - mean[b]) / double(rows);
  for (std::size_t i = 0; i < d; ++i)  // Cholesky: cov = L Lᵀ
    for (std::size_t j = 0; j <= i; ++j) {
      double s = cov(i, j);
      for (std::size_t k = 0; k < j; ++k) s -= l(i, k) * l(j, k);
      l(i, j) = i == j ? std::sqrt(std::max(s, 1e-300)) : s / l(j, j);
    }
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> out(n, d);
  std::vector<double> z(d);
  for (std::size_t i = 0; i < n; ++i) {
    for (double& e : z) e = normal(rng);
    for (std::size_t a = 0; a < d; ++a) {
      double v = mean[a];
      for (std::size_t k = 0; k <= a; ++k) v += l(a, k) * z[k];
      out(i, a) = v;
    }
  }
  return out;
}

}  // namespace wengert::diffusion
