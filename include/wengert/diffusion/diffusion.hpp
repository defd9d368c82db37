// Diffusion along the lecture's homotopy
//
//   x_t = sqrt(t) x + sqrt(1 - t) z,   z ~ N(0, I),
//
// from pure noise at t = 0 to the data at t = 1. Its density is the data's
// (scaled by sqrt(t)) convolved with N(0, (1 - t) I); for a Gaussian mixture it
// is again a mixture, with means sqrt(t) mu_k and variances t s_k² + 1 - t. This
// is the variance-preserving process of Song et al. (2021) with signal level
// ᾱ = t; in u = log t its probability-flow ODE is dx/du = (x + s(x, t)) / 2.
// A score s(x, t) learned at every t turns noise into samples.
//
// laws.hpp: the laws of x_t and score fields; train.hpp: learning a score;
// sample.hpp: the samplers; likelihood.hpp: the model's exact log-density. Sample quality is measured by score/metrics.hpp.
#pragma once

#include "wengert/diffusion/laws.hpp"
#include "wengert/diffusion/likelihood.hpp"
#include "wengert/diffusion/sample.hpp"
#include "wengert/diffusion/train.hpp"
#include "wengert/score/gaussian.hpp"
#include "wengert/score/metrics.hpp"
