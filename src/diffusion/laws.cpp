// The laws along the homotopy and their scores.
#include "wengert/diffusion/laws.hpp"

#include <cmath>
#include <memory>
#include <optional>
#include <fmt/format.h>

#include "wengert/error.hpp"

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
  struct State {  // planned once, used by every call; the program views the copy of theta
    std::vector<double> theta;
    std::optional<nn::ScoreProgram> score;
  };
  auto state = std::make_shared<State>();
  state->theta = theta;
  state->score.emplace(phi, state->theta, threads);
  return [state](const Matrix<double>& x, double t) { return (*state->score)(x, t); };
}

}  // namespace wengert::diffusion
