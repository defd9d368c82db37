// Score-matching losses as tapes (Hyvärinen 2005, and its estimated forms):
//
//   exact       J = mean_i ½‖∇x phi(x_i)‖² - Δx phi(x_i)      (the forward Laplacian)
//   hutchinson  the Laplacian replaced by zᵀ∇²phi z, z a probe  (sliced, variance-reduced)
//   sliced      ½(zᵀ∇phi)² - zᵀ∇²phi z                         (Song et al. 2019)
//   denoising   ½‖-∇phi(x + σz) + z/σ‖²                        (Vincent 2011; first order only)
//   auto        exact or hutchinson, chosen by measuring both  (score/loss_policy.hpp)
//
// Each tape has the inputs "x" (B, d), "z" (B, d) where a probe or a noise is
// needed, and phi's parameters; its output "J" (1, 1) is the mean over rows, and
// grad(tape, parameters) is the exact theta-gradient (third order for the
// first three).
#pragma once

#include <string>

#include "wengert/estimators/trace.hpp"
#include "wengert/nn/potential.hpp"

namespace wengert::score {

/// The score-matching losses (Hyvärinen's, exact or estimated; denoising).
enum class Loss {
  exact,       ///< ½‖s‖² + div s with the exact Laplacian (the forward Laplacian)
  hutchinson,  ///< the same with the Laplacian by Hutchinson probes
  sliced,      ///< sliced score matching: (vᵀs)²/2 + vᵀ∇s v
  denoising,   ///< denoising score matching at noise sigma
  automatic    ///< "auto": exact or hutchinson, whichever is cheaper at the accuracy asked (score/loss_policy.hpp)
};

std::string to_string(Loss loss);         ///< its name, as loss_from reads it
Loss loss_from(const std::string& name);  ///< throws UsageError naming the choices

/// Which score-matching loss, and its settings.
struct LossOptions {
  Loss kind = Loss::exact;                                  ///< exact, hutchinson, sliced or denoising
  estimators::Probe probe = estimators::Probe::rademacher;  ///< hutchinson and sliced
  std::size_t probes = 1;  ///< probes per sample: the trainer repeats each row this many times
  double sigma = 0.1;      ///< denoising: the noise level
};

/// The loss tape of the potential. Throws UsageError for sigma <= 0, no probes, or
/// Loss::automatic (a choice to resolve first with score::choose_loss).
Tape loss_tape(const nn::Potential& phi, const LossOptions& options);

/// The per-sample term of each loss, recorded into `rec` at the point x (B, d),
/// where `args` binds phi's inputs other than "x" (its parameters, and "t" for
/// a time-conditioned potential); w is the probe (hutchinson, sliced) or, for
/// denoising at the noisy point x, the target z/σ (minus the noise's score).
/// Every loss tape of wengert, here and in diffusion, is recorded by it.
Var per_sample_loss(Recorder& rec, const nn::Potential& phi, std::vector<std::pair<std::string, Var>> args, Loss kind,
                    Var x, Var w = {});

/// Whether the loss reads the input "z" (a probe or a noise per row).
inline bool needs_z(Loss kind) { return kind != Loss::exact; }

}  // namespace wengert::score
