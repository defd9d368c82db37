// Score matching: data sets with exact densities, losses, the trainer, the
// quadratic model's moments, and metrics against exact answers.
#pragma once

#include "wengert/score/data.hpp"
#include "wengert/score/gaussian.hpp"
#include "wengert/score/loss.hpp"
#include "wengert/score/loss_policy.hpp"
#include "wengert/score/metrics.hpp"
#include "wengert/score/train.hpp"

/// Score matching: data sets with exact densities, losses, the trainer, metrics against exact answers.
namespace wengert::score {}
