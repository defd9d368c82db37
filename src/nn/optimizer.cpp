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
  for (std::size_t i = 0; i < theta.size(); ++i) {
    m_[i] = b1_ * m_[i] + (1 - b1_) * gradient[i];
    v_[i] = b2_ * v_[i] + (1 - b2_) * gradient[i] * gradient[i];
    theta[i] -= rate * (m_[i] / c1) / (std::sqrt(v_[i] / c2) + eps_);
  }
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, double adam_epsilon) {
  if (!(adam_epsilon > 0) || !std::isfinite(adam_epsilon))
    throw UsageError(fmt::format("make_optimizer: Adam's epsilon {} must be positive", adam_epsilon));
  if (name == "adam") return std::make_unique<Adam>(0.9, 0.999, adam_epsilon);
  if (name == "sgd") return std::make_unique<Sgd>();
  throw UsageError(fmt::format("optimizer '{}' is not known; use adam or sgd", name));
}

}  // namespace wengert::nn
