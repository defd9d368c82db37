// wengert: automatic differentiation on tapes, and the layers built on it.
// Everything, in one include; each layer also has its own: core.hpp (the
// engine), nn.hpp, estimators.hpp, score.hpp, solvers.hpp, diffusion.hpp.
#pragma once

#include "wengert/core.hpp"
#include "wengert/diffusion.hpp"
#include "wengert/estimators.hpp"
#include "wengert/nn.hpp"
#include "wengert/score.hpp"
#include "wengert/solvers.hpp"
