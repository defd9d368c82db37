// Potentials phi(x; theta) (MLPs, time-conditioned MLPs, quadratics, any tape),
// their model files, optimisers and the training core.
#pragma once

#include "wengert/nn/fit.hpp"
#include "wengert/nn/model_file.hpp"
#include "wengert/nn/optimizer.hpp"
#include "wengert/nn/potential.hpp"

/// Potentials phi(x; theta), their model files, optimisers and the training core.
namespace wengert::nn {}
