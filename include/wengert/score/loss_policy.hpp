// The loss `auto`: the exact Laplacian or Hutchinson probes, whichever is cheaper
// for the accuracy asked.
//
// The exact loss costs a forward Laplacian per sample, about d + 2 forward
// passes; Hutchinson's k probes cost k Hessian-vector products, about 4k. The
// probes buy that saving with noise: each sample's term ½‖∇phi‖² - zᵀ∇²phi z
// varies with z by Var_z(zᵀHz), so k probes add Var_z/k to the variance the
// batch already has from drawing x (Var_x of the exact term). Training cannot
// tell the two apart once the added share is small, so `auto` takes the cheaper
// of the exact loss and the fewest probes whose added variance is at most
// `probe_noise` times the sampling variance. Both costs are timed on this
// machine, for the batch, the model and the threads given (the cost of k probes
// taken as k times one); both variances are measured on pilot rows at the
// starting theta. The loss's variance stands in for its gradient's.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "wengert/matrix.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/loss.hpp"

namespace wengert::score {

/// What `auto` is asked: the batch it will train on and the accuracy needed.
struct LossPolicy {
  std::size_t batch = 256;                                  ///< samples per step, as training will use
  double probe_noise = 0.1;                                 ///< the share of the sampling variance the probes may add
  std::size_t max_probes = 64;                              ///< more than this many: the exact loss
  estimators::Probe probe = estimators::Probe::rademacher;  ///< the probes' law
  int threads = 1;                                          ///< of the gradient program, as training will use
  std::uint64_t seed = 1;                                   ///< of the probes
};

/// The four figures the choice is made from.
struct LossMeasurements {
  double exact_seconds = 0;      ///< one gradient step of the exact loss on `batch` samples
  double probe_seconds = 0;      ///< the same with one Hutchinson probe per sample
  double sampling_variance = 0;  ///< Var_x of the exact per-sample term, over the pilot rows
  double probe_variance = 0;     ///< mean over the pilot rows of Var_z of the probed term
};

/// What `auto` chose, and why.
struct LossChoice {
  LossOptions loss;               ///< exact, or hutchinson with `probes`
  LossMeasurements measured;      ///< what it was chosen from
  std::size_t probes_needed = 0;  ///< for the accuracy asked; max_probes + 1 when more than allowed
  std::string reason;             ///< one line: the choice and the figures behind it
};

/// Times both losses' gradient steps and measures both variances at theta on the
/// rows of `pilot` (at least 2; up to `batch` are used). Throws ShapeError or
/// UsageError for a pilot, theta or policy that does not fit.
LossMeasurements measure_losses(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& pilot,
                                const LossPolicy& policy);

/// The choice from the figures: the fewest probes k with probe_variance / k <=
/// probe_noise * sampling_variance; the exact loss when it costs no more than k
/// probes or k exceeds max_probes.
LossChoice choose_loss(const LossMeasurements& measured, const LossPolicy& policy);

/// Both: measures, then chooses.
LossChoice choose_loss(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& pilot,
                       const LossPolicy& policy);

}  // namespace wengert::score
