// The laws along the homotopy x_t = sqrt(t) x + sqrt(1 - t) z, and score
// fields s(x, t) on them: exact for Gaussian-mixture data, learned otherwise.
#pragma once

#include <functional>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"

namespace wengert::diffusion {

/// x_t for data rows x and noise rows z at levels t (one per row).
Matrix<double> homotopy(const Matrix<double>& x, const Matrix<double>& z, const std::vector<double>& t);

/// The exact law of x_t for mixture data (throws UsageError for other data):
/// its sampler, score and log-density. t in [0, 1].
score::Dataset noised(const score::Dataset& data, double t);

/// A score field s(x, t) on rows x at one level t.
using ScoreField = std::function<Matrix<double>(const Matrix<double>& x, double t)>;

/// The exact score of x_t for mixture data.
ScoreField exact_score(const score::Dataset& data);
/// The learned score -∇x phi(x, t) of a time-conditioned potential (nn::time_mlp).
ScoreField learned_score(const nn::Potential& phi, const std::vector<double>& theta, int threads = 1);

}  // namespace wengert::diffusion
