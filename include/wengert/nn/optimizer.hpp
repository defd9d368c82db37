// First-order optimisers over a flat parameter vector.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace wengert::nn {

/// A first-order optimiser: one update of theta from a gradient per call.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// theta <- theta - step(gradient), at the learning rate `rate` (for schedules).
  virtual void step(std::span<double> theta, std::span<const double> gradient, double rate) = 0;
  /// All the next steps depend on besides theta and the gradients (for checkpoints).
  virtual std::vector<double> state() const = 0;
  /// Restores what state() returned, for `parameters` parameters; UsageError when its length does not fit them.
  virtual void restore(std::span<const double> state, std::size_t parameters) = 0;
};

/// Stochastic gradient descent with (heavy-ball) momentum.
class Sgd : public Optimizer {
 public:
  /// velocity <- momentum velocity + gradient; theta <- theta - rate velocity.
  explicit Sgd(double momentum = 0.9) : momentum_(momentum) {}
  void step(std::span<double> theta, std::span<const double> gradient, double rate) override;
  std::vector<double> state() const override;  ///< the velocity (empty before the first step)
  void restore(std::span<const double> state, std::size_t parameters) override;

 private:
  double momentum_;
  std::vector<double> velocity_;
};

/// Adam (Kingma & Ba 2015) with bias correction.
class Adam : public Optimizer {
 public:
  /// The decays of the first and second moments, and the epsilon added to the
  /// root of the second (a large one turns Adam toward momentum SGD).
  explicit Adam(double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
      : b1_(beta1), b2_(beta2), eps_(epsilon) {}
  void step(std::span<double> theta, std::span<const double> gradient, double rate) override;
  std::vector<double> state() const override;  ///< the steps taken, then both moments
  void restore(std::span<const double> state, std::size_t parameters) override;

 private:
  double b1_, b2_, eps_;
  std::vector<double> m_, v_;
  long t_ = 0;
};

/// "adam" or "sgd"; throws UsageError naming the choices. Adam divides each step by
/// sqrt(v) + epsilon: a larger epsilon damps the steps of parameters whose
/// gradients are small and noisy (for score matching, the ones that set how mass
/// is shared between separated modes, which the loss hardly sees).
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, double adam_epsilon = 1e-8);

}  // namespace wengert::nn
