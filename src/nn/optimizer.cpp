#include "wengert/nn/optimizer.hpp"

#include <cmath>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::nn {

void Sgd::step(std::span<double> theta, std::span<const double> gradient, double rate) {
  velocity_.resize(theta.size(), 0.0);
  for (std::size_t i = 0; i < theta.size(); ++i) {
    velocity_[i] = momentum_ * velocity_[i] + gradient[i];  // v <- m v + g;  theta <- theta - rate v
    theta[i] -= rate * velocity_[i];
  }
}

void Adam::step(std::span<double> theta, std::span<const double> gradient, double rate) {
  m_.resize(theta.size(), 0.0);
  v_.resize(theta.size(), 0.0);
  ++t_;
  const double c1 = 1 - std::pow(b1_, double(t_)), c2 = 1 - std::pow(b2_, double(t_));
  // Local copies of the members and pointers that do not alias: the loop vectorizes.
  const double b1 = b1_, b2 = b2_, eps = eps_;
  double* __restrict m = m_.data();
  double* __restrict v = v_.data();
  double* __restrict x = theta.data();
  const double* __restrict g = gradient.data();
  for (std::size_t i = 0; i < theta.size(); ++i) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    x[i] -= rate * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}

std::vector<double> Sgd::state() const { return velocity_; }

void Sgd::restore(std::span<const double> state, std::size_t parameters) {
  if (!state.empty() && state.size() != parameters)
    throw UsageError(fmt::format("Sgd::restore: a state of {} values; {} parameters need {} (or none)", state.size(),
                                 parameters, parameters));
  velocity_.assign(state.begin(), state.end());
}

std::vector<double> Adam::state() const {
  std::vector<double> s{double(t_)};
  s.insert(s.end(), m_.begin(), m_.end());
  s.insert(s.end(), v_.begin(), v_.end());
  return s;
}

void Adam::restore(std::span<const double> state, std::size_t parameters) {
  const bool fresh = state.size() == 1 && state[0] == 0;
  if (!fresh && (state.size() != 1 + 2 * parameters || !(state[0] >= 1) || state[0] != std::floor(state[0])))
    throw UsageError(fmt::format(
        "Adam::restore: a state of {} values starting with {}; {} parameters need a step count and two moments ({} "
        "values)",
        state.size(), state.empty() ? 0.0 : state[0], parameters, 1 + 2 * parameters));
  t_ = long(state[0]);
  m_.assign(state.begin() + 1, state.begin() + 1 + std::ptrdiff_t(fresh ? 0 : parameters));
  v_.assign(state.end() - std::ptrdiff_t(fresh ? 0 : parameters), state.end());
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, double adam_epsilon) {
  if (!(adam_epsilon > 0) || !std::isfinite(adam_epsilon))
    throw UsageError(fmt::format("make_optimizer: Adam's epsilon {} must be positive", adam_epsilon));
  if (name == "adam") return std::make_unique<Adam>(0.9, 0.999, adam_epsilon);
  if (name == "sgd") return std::make_unique<Sgd>();
  throw UsageError(fmt::format("optimizer '{}' is not known; use adam or sgd", name));
}

}  // namespace wengert::nn
