// Time-conditioned potentials phi(x, t) for diffusion along the homotopy
// x_t = sqrt(t) x + sqrt(1 - t) z: a plain MLP on x and features of t, and the
// same MLP inside the noise-level scaling of EDM (Karras et al. 2022), written
// as a potential so that its score stays a gradient.
#include <cmath>
#include <numbers>
#include <fmt/format.h>

#include "nn/layers.hpp"
#include "wengert/error.hpp"
#include "wengert/nn/potential.hpp"

namespace wengert::nn {

namespace {

// [h, tau, sin πk tau, cos πk tau for k = 1..frequencies]: tau in [0, 1] spread by Fourier features.
Var with_fourier_features(Var h, Var tau, std::size_t frequencies) {
  Var features = concat_cols(h, tau);
  for (std::size_t k = 1; k <= frequencies; ++k) {
    Var angle = tau * (std::numbers::pi * double(k));
    features = concat_cols(concat_cols(features, sin(angle)), cos(angle));
  }
  return features;
}

Dim featured_width(Dim d, std::size_t frequencies) { return d + 1 + 2 * static_cast<Dim>(frequencies); }

// The smallest noise variance time_mlp tells apart: tau = log(1 - t + floor) / log(floor) is 1 at t = 1.
constexpr double variance_floor = 1e-4;

// The noise levels edm_mlp's features span: tau = 0 at sigma_low, 1 at sigma_high.
constexpr double sigma_low = 1e-3, sigma_high = 1e3;

}  // namespace

Potential time_mlp(const std::vector<Dim>& widths, Activation activation, std::size_t frequencies, double confinement) {
  Potential phi = detail::described_mlp("time_mlp", widths, activation, confinement, false);
  phi.time_features = frequencies;
  Recorder rec;
  Var x = rec.data("x", widths.front());
  Var t = rec.data("t", 1);
  // Time as tau = log(1 - t + floor) / log(floor), the log of the noise variance scaled to [0, 1]:
  // the score changes fastest near t = 1, where the noise vanishes, and tau spreads that end out.
  Var tau = log(1.0 + variance_floor - t) * (1.0 / std::log(variance_floor));
  Var features = with_fourier_features(x, tau, frequencies);
  const Dim width = featured_width(widths.front(), frequencies);
  detail::finish_potential(rec, phi, x, detail::mlp_layers(rec, phi, features, widths, width));
  return phi;
}

// Dividing x_t by sqrt(t) gives y = x + sigma z with sigma² = (1 - t)/t: data plus
// noise of scale sigma. EDM's denoiser D(y) = c_skip y + c_out F(c_in y, c_noise)
// keeps the network's input and target at unit variance at every sigma
// (c_in = 1/sqrt(sigma² + s²), c_skip = s² c_in², c_out = sigma s c_in, with s
// the data's scale), and the score of y is (D - y)/sigma². Asking F to be the
// gradient of a scalar G in its first argument makes that score the gradient of
//     psi(y) = ½ c_in² ‖y‖² - (s / sigma) G(c_in y, sigma),
// so phi(x_t, t) = psi(x_t / sqrt(t)) is a potential whose score -∇phi is the
// preconditioned denoiser's, and its Laplacian exists for the likelihood.
Potential edm_mlp(const std::vector<Dim>& widths, Activation activation, std::size_t frequencies, double sigma_data) {
  if (!(sigma_data > 0 && std::isfinite(sigma_data)))
    throw UsageError(fmt::format("edm_mlp: sigma_data = {}; use the data's scale, a positive number", sigma_data));
  Potential phi = detail::described_mlp("edm_mlp", widths, activation, 0, false);
  phi.time_features = frequencies;
  phi.sigma_data = sigma_data;
  Recorder rec;
  Var x = rec.data("x", widths.front());
  Var t = rec.data("t", 1);
  Var variance = (1.0 - t) / t;  // sigma²
  Var y = x * (1.0 / sqrt(t));
  Var c_in = 1.0 / sqrt(variance + sigma_data * sigma_data);
  Var tau = (0.5 * log(variance) - std::log(sigma_low)) * (1.0 / std::log(sigma_high / sigma_low));
  Var features = with_fourier_features(y * c_in, tau, frequencies);
  Var g = detail::mlp_layers(rec, phi, features, widths, featured_width(widths.front(), frequencies));
  Var psi = 0.5 * square(c_in) * sum_cols(square(y)) - sigma_data * g / sqrt(variance);
  detail::finish_potential(rec, phi, x, psi);
  return phi;
}

}  // namespace wengert::nn
