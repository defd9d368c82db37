// Diffusion along x_t = sqrt(t) x + sqrt(1 - t) z: laws, training, samplers and
// the exact likelihood (the overview is in diffusion/diffusion.hpp).
#pragma once

#include "wengert/diffusion/diffusion.hpp"

/// Diffusion along x_t = sqrt(t) x + sqrt(1 - t) z: laws, training, samplers, the exact likelihood.
namespace wengert::diffusion {}
